"""Identity API: /api/v1/identity/... and /api/v1/teachers (thin views over services)."""

from django.utils.decorators import method_decorator
from django_ratelimit.exceptions import Ratelimited
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import selectors, services, verification
from accounts.authentication import current_device
from accounts.serializers import (
    CalendarFeedSerializer,
    DeviceSerializer,
    EmailChangeSerializer,
    LoginSerializer,
    MeSerializer,
    PasswordChangeSerializer,
    PasswordResetSerializer,
    RefreshSerializer,
    RegisteredUserSerializer,
    RegisterSerializer,
    ResentSerializer,
    TeacherFilterSerializer,
    TeacherSerializer,
    TokenPairSerializer,
    VerifiedSerializer,
    VerifySerializer,
)
from audit.idempotency import IDEMPOTENCY_KEY_PARAMETER, idempotent
from guitaronline.core.api import error_responses
from guitaronline.core.clients import client_ip, user_agent
from guitaronline.core.ratelimits import auth_ratelimit


@method_decorator(auth_ratelimit("register"), name="post")
class RegisterApi(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(
        tags=["identity"],
        request=RegisterSerializer,
        responses={201: RegisteredUserSerializer, **error_responses(400, 409, 429)},
    )
    def post(self, request):
        data = RegisterSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        user = services.user_register(
            email=values["email"],
            password=values["password"],
            full_name=values["full_name"],
            role=values["role"],
            timezone_name=values.get("timezone"),
            language=values.get("language"),
        )
        return Response(RegisteredUserSerializer(user).data, status=status.HTTP_201_CREATED)


@method_decorator(auth_ratelimit("login"), name="post")
class LoginApi(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(
        tags=["identity"],
        request=LoginSerializer,
        responses={200: TokenPairSerializer, **error_responses(400, 401, 429)},
        description="After AUTH_LOGIN_ACCOUNT_FAILURES wrong passwords for one e-mail from one client address, "
        "that e-mail's logins from there answer 429 `login_paused` (with Retry-After) until "
        "AUTH_LOGIN_ACCOUNT_WINDOW_SECONDS have passed, whatever the password; other addresses are not affected.",
    )
    def post(self, request):
        data = LoginSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return Response(
            services.auth_login(**data.validated_data, source=client_ip(request), user_agent=user_agent(request))
        )


@method_decorator(auth_ratelimit("refresh"), name="post")
class RefreshApi(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(
        tags=["identity"],
        request=RefreshSerializer,
        responses={200: TokenPairSerializer, **error_responses(400, 401, 429)},
    )
    def post(self, request):
        data = RefreshSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return Response(
            services.auth_refresh_rotate(
                refresh=data.validated_data["refresh"], source=client_ip(request), user_agent=user_agent(request)
            )
        )


class LogoutApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(tags=["identity"], request=RefreshSerializer, responses={204: None, **error_responses(400, 401)})
    def post(self, request):
        data = RefreshSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.auth_logout(user=request.user, refresh=data.validated_data["refresh"])
        return Response(status=status.HTTP_204_NO_CONTENT)


class LogoutAllApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["identity"],
        request=None,
        responses={204: None, **error_responses(401)},
        description="Log out everywhere: every device of the user is signed out, this one too. Every refresh "
        "token is blacklisted and every access token answers 401 `session_ended` from now on.",
    )
    def post(self, request):
        services.auth_logout_all(user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class DevicesApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["identity"],
        responses={200: DeviceSerializer(many=True), **error_responses(401)},
        description="The user's signed-in devices (browsers and API clients), last used first.",
    )
    def get(self, request):
        devices = selectors.devices_signed_in(user=request.user, current=current_device(request))
        return Response(DeviceSerializer(devices, many=True).data)


class DeviceEndApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["identity"],
        request=None,
        responses={204: None, **error_responses(401, 404)},
        description="Sign out one of the user's devices: its refresh token is blacklisted, its access tokens "
        "answer 401 `session_ended`, a browser is signed out on its next page.",
    )
    def post(self, request, device_id):
        services.auth_device_end(user=request.user, device=device_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


@method_decorator(auth_ratelimit("verify"), name="post")
class VerifyApi(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(
        tags=["identity"],
        request=VerifySerializer,
        responses={200: VerifiedSerializer, **error_responses(400, 409, 429)},
        description="Confirm an e-mail address with the token of its link: the account's own, or the new one "
        "it asked for, which then replaces the old. A token works once; an expired one is "
        "`verification_expired`, a used or forged one `verification_invalid`.",
    )
    def post(self, request):
        data = VerifySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.email_verify(token=data.validated_data["token"])
        return Response({"email": user.email, "email_verified": True})


class VerifyResendApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["identity"],
        request=None,
        responses={202: ResentSerializer, **error_responses(400, 401, 429)},
        description="Send the confirmation link again (to the pending new address if there is one); "
        "ACCOUNTS_EMAIL_VERIFICATION_RESENDS_PER_HOUR times an hour at most.",
    )
    def post(self, request):
        if verification.resend_limited(request):
            raise Ratelimited()
        email = services.email_verification_resend(user=request.user)
        return Response({"email": email}, status=status.HTTP_202_ACCEPTED)


class EmailChangeApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["identity"],
        request=EmailChangeSerializer,
        responses={202: MeSerializer, **error_responses(400, 401, 409)},
        description="Ask for a new e-mail address (with the password). It shows as `pending_email` and "
        "replaces `email` once confirmed through the link sent to it.",
    )
    def post(self, request):
        data = EmailChangeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.user_change_email(user=request.user, **data.validated_data)
        return Response(MeSerializer(user).data, status=status.HTTP_202_ACCEPTED)


@method_decorator(auth_ratelimit("password_reset"), name="post")
class PasswordResetApi(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(
        tags=["identity"],
        request=PasswordResetSerializer,
        responses={202: None, **error_responses(400, 429)},
        description="E-mail a password-reset link to the address if it is an account's. The answer is the "
        "same, and takes the same time, whether or not it is: the link goes out from the worker.",
    )
    def post(self, request):
        data = PasswordResetSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.password_reset_request(email=data.validated_data["email"])
        return Response(status=status.HTTP_202_ACCEPTED)


class MeApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(tags=["identity"], responses={200: MeSerializer, **error_responses(401)})
    def get(self, request):
        return Response(MeSerializer(request.user).data)

    @extend_schema(tags=["identity"], request=MeSerializer, responses={200: MeSerializer, **error_responses(400, 401)})
    def patch(self, request):
        data = MeSerializer(request.user, data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        user = services.user_update_profile(
            user=request.user,
            full_name=values.get("full_name"),
            timezone_name=values.get("timezone"),
            language=values.get("language"),
        )
        return Response(MeSerializer(user).data)


class PasswordChangeApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["identity"],
        request=PasswordChangeSerializer,
        responses={204: None, **error_responses(400, 401)},
        description="Every other device of the user is signed out (`POST /auth/logout-all` ends this one too).",
    )
    def post(self, request):
        data = PasswordChangeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.user_change_password(user=request.user, **data.validated_data, keep_device=current_device(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class CalendarFeedApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["identity"],
        responses={200: CalendarFeedSerializer, **error_responses(401)},
        description="The signed-in user's private iCalendar feed URL (lessons of the last 30 days and all "
        "coming ones; no login needed to read it, so keep it secret).",
    )
    def get(self, request):
        return Response({"url": request.user.get_calendar_feed_url()})


class CalendarFeedRotateApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["identity"],
        request=None,
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
        responses={200: CalendarFeedSerializer, **error_responses(401)},
        description="Replace the calendar feed URL: the old one answers 404 from now on.",
    )
    @idempotent
    def post(self, request):
        user = services.user_calendar_token_rotate(user=request.user)
        return Response({"url": user.get_calendar_feed_url()})


@extend_schema(tags=["teachers"])
class TeacherViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Published teachers: the public directory."""

    permission_classes = [AllowAny]
    serializer_class = TeacherSerializer

    def get_queryset(self):
        filters = TeacherFilterSerializer(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        return selectors.teacher_list_published(**filters.validated_data)

    def get_object(self):
        return selectors.teacher_published_get(teacher_id=self.kwargs["pk"])

    @extend_schema(
        parameters=[
            OpenApiParameter("style", str, description="Style taught, e.g. blues"),
            OpenApiParameter("search", str, description="Part of the teacher's name"),
        ]
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(
        parameters=[OpenApiParameter("id", int, OpenApiParameter.PATH, description="The teacher's user id")],
        responses={200: TeacherSerializer, **error_responses(404)},
    )
    def retrieve(self, request, *args, **kwargs):
        return super().retrieve(request, *args, **kwargs)
