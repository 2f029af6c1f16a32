"""Products, checkout payments (a student, a product, no package until paid,
expired when abandoned, partly or wholly refunded) and the events providers
send."""

import django.core.validators
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def fill_student_and_refunds(apps, schema_editor):
    """Payments so far were all recorded for a package: their student is the
    package's; a refunded one gave back its whole amount."""
    Payment = apps.get_model("billing", "Payment")
    LessonPackage = apps.get_model("billing", "LessonPackage")
    Payment.objects.update(
        student_id=models.Subquery(LessonPackage.objects.filter(pk=models.OuterRef("package_id")).values("student_id")[:1])
    )
    Payment.objects.filter(status="refunded").update(refunded_amount=models.F("amount"), refunded_at=models.F("updated_at"))


class Migration(migrations.Migration):

    dependencies = [
        ('billing', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='PaymentEvent',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('provider', models.CharField(max_length=32, verbose_name='provider')),
                ('event_id', models.CharField(max_length=128, verbose_name='event id')),
                ('event_type', models.CharField(max_length=100, verbose_name='event type')),
                ('result', models.CharField(choices=[('fulfilled', 'payment received, package created'), ('refunded', 'refund recorded'), ('failed', 'payment failed or canceled'), ('mismatch', 'amount or currency differs: not fulfilled'), ('unknown_payment', 'no such payment here'), ('ignored', 'nothing to do')], max_length=20, verbose_name='result')),
                ('detail', models.TextField(blank=True, verbose_name='detail')),
                ('payload', models.JSONField(blank=True, default=dict, verbose_name='payload')),
                ('created_at', models.DateTimeField(auto_now_add=True, db_index=True, verbose_name='received at')),
            ],
            options={
                'verbose_name': 'payment provider event',
                'verbose_name_plural': 'payment provider events',
                'ordering': ['-created_at', '-id'],
            },
        ),
        migrations.CreateModel(
            name='Product',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('created_at', models.DateTimeField(auto_now_add=True, db_index=True, verbose_name='created at')),
                ('updated_at', models.DateTimeField(auto_now=True, verbose_name='updated at')),
                ('name_en', models.CharField(max_length=120, verbose_name='name (English)')),
                ('name_ru', models.CharField(max_length=120, verbose_name='name (Russian)')),
                ('description_en', models.TextField(blank=True, max_length=2000, verbose_name='description (English)')),
                ('description_ru', models.TextField(blank=True, max_length=2000, verbose_name='description (Russian)')),
                ('lessons', models.PositiveIntegerField(validators=[django.core.validators.MinValueValidator(1)], verbose_name='lessons')),
                ('validity_days', models.PositiveIntegerField(validators=[django.core.validators.MinValueValidator(1)], verbose_name='valid for, days')),
                ('price', models.DecimalField(decimal_places=2, max_digits=12, validators=[django.core.validators.MinValueValidator(0.01)], verbose_name='price')),
                ('currency', models.CharField(max_length=3, validators=[django.core.validators.RegexValidator('^[A-Z]{3}$', 'Use a three-letter ISO 4217 code, e.g. RUB.')], verbose_name='currency')),
                ('is_active', models.BooleanField(default=True, verbose_name='on sale')),
                ('position', models.PositiveSmallIntegerField(default=0, help_text='Lower comes first.', verbose_name='position')),
            ],
            options={
                'verbose_name': 'product',
                'verbose_name_plural': 'products',
                'ordering': ['position', 'id'],
            },
        ),
        migrations.RemoveConstraint(
            model_name='payment',
            name='payment_status_valid',
        ),
        migrations.AddField(
            model_name='payment',
            name='checkout_url',
            field=models.URLField(blank=True, max_length=1000, verbose_name='checkout address'),
        ),
        migrations.AddField(
            model_name='payment',
            name='refunded_amount',
            field=models.DecimalField(decimal_places=2, default=0, max_digits=12, verbose_name='refunded amount'),
        ),
        migrations.AddField(
            model_name='payment',
            name='refunded_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='refunded at'),
        ),
        migrations.AddField(
            model_name='payment',
            name='student',
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT, related_name='payments', to=settings.AUTH_USER_MODEL, verbose_name='student'),
        ),
        migrations.RunPython(fill_student_and_refunds, migrations.RunPython.noop),
        migrations.AlterField(
            model_name='payment',
            name='student',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='payments', to=settings.AUTH_USER_MODEL, verbose_name='student'),
        ),
        migrations.AlterField(
            model_name='payment',
            name='package',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='payments', to='billing.lessonpackage', verbose_name='package'),
        ),
        migrations.AlterField(
            model_name='payment',
            name='status',
            field=models.CharField(choices=[('pending', 'pending'), ('succeeded', 'succeeded'), ('failed', 'failed'), ('refunded', 'refunded'), ('expired', 'expired')], default='pending', max_length=16, verbose_name='status'),
        ),
        migrations.AddField(
            model_name='paymentevent',
            name='payment',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='events', to='billing.payment', verbose_name='payment'),
        ),
        migrations.AddConstraint(
            model_name='product',
            constraint=models.CheckConstraint(condition=models.Q(('lessons__gte', 1)), name='product_lessons_positive'),
        ),
        migrations.AddConstraint(
            model_name='product',
            constraint=models.CheckConstraint(condition=models.Q(('validity_days__gte', 1)), name='product_validity_positive'),
        ),
        migrations.AddConstraint(
            model_name='product',
            constraint=models.CheckConstraint(condition=models.Q(('price__gt', 0)), name='product_price_positive'),
        ),
        migrations.AddField(
            model_name='payment',
            name='product',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='payments', to='billing.product', verbose_name='product'),
        ),
        migrations.AddIndex(
            model_name='payment',
            index=models.Index(fields=['student', '-created_at'], name='payment_student_idx'),
        ),
        migrations.AddIndex(
            model_name='payment',
            index=models.Index(fields=['provider', 'provider_reference'], name='payment_provider_ref_idx'),
        ),
        migrations.AddConstraint(
            model_name='payment',
            constraint=models.CheckConstraint(condition=models.Q(('status__in', ['pending', 'succeeded', 'failed', 'refunded', 'expired'])), name='payment_status_valid'),
        ),
        migrations.AddConstraint(
            model_name='payment',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('status__in', ['succeeded', 'refunded']), _negated=True), ('package__isnull', False), _connector='OR'), name='payment_paid_has_package'),
        ),
        migrations.AddConstraint(
            model_name='payment',
            constraint=models.CheckConstraint(condition=models.Q(('refunded_amount__gte', 0), ('refunded_amount__lte', models.F('amount'))), name='payment_refund_within_amount'),
        ),
        migrations.AddConstraint(
            model_name='payment',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('refunded_amount__gt', 0), ('refunded_at__isnull', False), ('status', 'refunded')), models.Q(models.Q(('status', 'refunded'), _negated=True), ('refunded_amount', 0), ('refunded_at__isnull', True)), _connector='OR'), name='payment_refunded_has_amount'),
        ),
        migrations.AddConstraint(
            model_name='payment',
            constraint=models.UniqueConstraint(condition=models.Q(('product__isnull', False), ('status', 'pending')), fields=('student', 'product'), name='payment_one_pending_checkout_per_product'),
        ),
        migrations.AddIndex(
            model_name='paymentevent',
            index=models.Index(fields=['result', 'created_at'], name='payment_event_result_idx'),
        ),
        migrations.AddConstraint(
            model_name='paymentevent',
            constraint=models.UniqueConstraint(fields=('provider', 'event_id'), name='payment_event_once_per_provider'),
        ),
    ]
