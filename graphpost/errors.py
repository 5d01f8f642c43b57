"""The one error hierarchy. Every layer raises these; only the HTTP edge turns them into Graph's
error envelope (graphpost.api.errors), so status codes never leak into the domain."""

from __future__ import annotations


class GraphError(Exception):
    """An error Graph would answer with `status` and `{"error": {"code": code, ...}}`."""

    status: int = 500
    code: str = "generalException"
    default_message: str = "An internal server error occurred."

    def __init__(self, message: str | None = None, *, headers: dict[str, str] | None = None) -> None:
        self.message = message or self.default_message
        self.headers = headers or {}
        super().__init__(self.message)


class BadRequest(GraphError):
    status, code = 400, "BadRequest"
    default_message = "Bad request."


class RequestBodyRead(GraphError):
    status, code = 400, "RequestBodyRead"
    default_message = "The request body could not be read."


class InvalidRequest(GraphError):
    status, code = 400, "ErrorInvalidRequest"
    default_message = "The request is invalid."


class ErrorInvalidParameter(GraphError):
    status, code = 400, "ErrorInvalidParameter"
    default_message = "A parameter of the request is invalid."


class InvalidIdMalformed(GraphError):
    status, code = 400, "ErrorInvalidIdMalformed"
    default_message = "Id is malformed."


class InvalidRecipients(GraphError):
    status, code = 400, "ErrorInvalidRecipients"
    default_message = "At least one recipient isn't valid."


class InvalidPropertyUpdateSentMessage(GraphError):
    status, code = 400, "ErrorInvalidPropertyUpdateSentMessage"
    default_message = "Update operation is invalid for property of a sent message."


class InvalidInternetMessageHeader(GraphError):
    status, code = 400, "InvalidInternetMessageHeader"


class InvalidOperation(GraphError):
    status, code = 400, "ErrorInvalidOperation"


class SubscriptionValidationError(GraphError):
    # The subscription service's refusals of what a subscription asks for: Graph answers a
    # notificationUrl that fails its validation with 400 "ValidationError" (splunk/azure-functions-
    # splunk#26), and an encryptionCertificate it cannot load with "Certificate validation error: …"
    # (microsoftgraph/microsoft-graph-docs-contrib#4898; that thread does not show the code).
    status, code = 400, "ValidationError"


class LengthRequired(GraphError):
    # Graph's front door refuses a POST without Content-Length (the docs: "Content-Length: 0. Required.").
    status, code = 411, "LengthRequired"
    default_message = "Length Required: the request must carry a Content-Length header."


class SendAsDenied(GraphError):
    status, code = 403, "ErrorSendAsDenied"
    default_message = ("The user account which was used to submit this request does not have the right to "
                       "send mail on behalf of the specified sending account.")


class MeRequiresDelegated(BadRequest):
    # Graph answers /me with an application token this way, word for word.
    default_message = "/me request is only valid with delegated authentication flow."


class InvalidAuthenticationToken(GraphError):
    status, code = 401, "InvalidAuthenticationToken"
    default_message = "Access token is empty."

    def __init__(self, message: str | None = None) -> None:
        # RFC 6750 §3: a 401 on a bearer-protected resource names the scheme and the error.
        super().__init__(message, headers={"WWW-Authenticate": 'Bearer realm="", error="invalid_token"'})


class AccessDenied(GraphError):
    status, code = 403, "ErrorAccessDenied"
    default_message = "Access is denied. Check credentials and try again."


class AuthorizationRequestDenied(GraphError):
    # Directory (user) resources answer a missing permission with this code, not ErrorAccessDenied.
    status, code = 403, "Authorization_RequestDenied"
    default_message = "Insufficient privileges to complete the operation."


class ItemNotFound(GraphError):
    status, code = 404, "ErrorItemNotFound"
    default_message = "The specified object was not found in the store."


class InvalidUser(GraphError):
    status, code = 404, "ErrorInvalidUser"

    def __init__(self, user: str) -> None:
        super().__init__(f"The requested user '{user}' is invalid.")


class ResourceNotFound(GraphError):
    status, code = 404, "Request_ResourceNotFound"

    def __init__(self, user: str) -> None:
        super().__init__(f"Resource '{user}' does not exist or one of its queried reference-property "
                         "objects are not present.")


class SegmentNotFound(BadRequest):
    def __init__(self, segment: str) -> None:
        super().__init__(f"Resource not found for the segment '{segment}'.")


class MethodNotAllowed(GraphError):
    status, code = 405, "BadRequest"
    default_message = "Specified HTTP method is not allowed for the request target."


class RequestTooLarge(GraphError):
    status, code = 413, "RequestEntityTooLarge"
    default_message = "Maximum request length exceeded."


class UnsupportedMediaType(GraphError):
    status, code = 415, "UnsupportedMediaType"
    default_message = "The content type of the request is not supported."


class RangeNotSatisfiable(GraphError):
    status, code = 416, "InvalidRange"
    default_message = "The uploaded fragment does not start where the upload session expects the next one."


class ServiceUnavailable(GraphError):
    status, code = 503, "ServiceNotAvailable"
    default_message = "The service is temporarily unavailable."


class IrresolvableConflict(GraphError):
    # A stale If-Match: Graph answers 412 with this code and these words.
    status, code = 412, "ErrorIrresolvableConflict"
    default_message = ("The send or update operation could not be performed because the change key passed in "
                       "the request does not match the current change key for the item.")


# --- Folder management. Codes are Exchange's (EWS ResponseCodeType), which Graph's mail API passes on.

class FolderExists(GraphError):
    # Graph answers a sibling of the same name (case-insensitive) with 409 and these words.
    status, code = 409, "ErrorFolderExists"
    default_message = "A folder with the specified name already exists."


class DeleteDistinguishedFolder(GraphError):
    status, code = 400, "ErrorDeleteDistinguishedFolder"
    default_message = "Distinguished folders cannot be deleted."


class MoveDistinguishedFolder(GraphError):
    status, code = 400, "ErrorMoveDistinguishedFolder"
    default_message = "Cannot move distinguished folder."


class RenameDistinguishedFolder(AccessDenied):
    # Exchange (since 2010) refuses to change the display name of a default folder at the store,
    # whatever the API; EWS has no code of its own for it, so the store's access-denied shows.
    default_message = "The display name of a distinguished folder cannot be changed."


class MoveCopyFailed(GraphError):
    status, code = 400, "ErrorMoveCopyFailed"
    default_message = "The move or copy operation failed."


class FailedDependency(GraphError):
    # A $batch request whose dependsOn names a request that did not succeed: Graph answers it with
    # 424 without running it (https://learn.microsoft.com/graph/json-batching).
    status, code = 424, "FailedDependency"

    def __init__(self, dependency: str) -> None:
        super().__init__(f"The request depends on request '{dependency}', which did not succeed.")


class InvalidQuery(GraphError):
    # An OData query option Exchange's URI parser cannot read or bind (syntax, an unknown property,
    # incompatible types): Graph answers mail collections with this code, e.g. "Could not find a
    # property named 'isJunk' on type 'microsoft.graph.message'."
    status, code = 400, "RequestBroker--ParseUri"
    default_message = "The query specified in the URI is not valid."


class UnsupportedFilter(GraphError):
    # Valid OData that Exchange cannot turn into a restriction (endswith, all, any() over recipients,
    # arithmetic, a property compared with a property): always these words.
    status, code = 400, "ErrorInvalidUrlQueryFilter"
    default_message = "The query filter contains one or more invalid nodes."


class InefficientFilter(GraphError):
    # $orderby properties missing from $filter, or out of its order (learn.microsoft.com/graph/api/
    # user-list-messages, "Using filter and orderby in the same query").
    status, code = 400, "InefficientFilter"
    default_message = "The restriction or sort order is too complex for this operation."


class SearchWithOrderBy(GraphError):
    status, code = 400, "SearchWithOrderBy"
    default_message = "The query parameter '$orderBy' is not supported with '$search'."


class SearchWithFilter(GraphError):
    status, code = 400, "SearchWithFilter"
    default_message = "The query parameter '$filter' is not supported with '$search'."


class InvalidUrlQuery(GraphError):
    status, code = 400, "ErrorInvalidUrlQuery"
    default_message = "The query specified in the URI is not valid."


class SyncStateNotFound(GraphError):
    # A delta token graphpost no longer has (older than the change log keeps), or never made: the
    # client must start a full round again. Outlook answers 410 with this code
    # (microsoftgraph/microsoft-graph-docs#2350; learn.microsoft.com/graph/delta-query-overview).
    status, code = 410, "SyncStateNotFound"
    default_message = "The sync state generation is not found. The delta token is expired, unknown or damaged: " \
                      "synchronize again from the start."


class RestrictionTooComplex(GraphError):
    # A query past graphpost's bounds (odata/limits.py): Exchange answers Graph's mail API with
    # this code and these words when a restriction or sort order is more than it takes
    # (mguessan/davmail#501 and #509 show it, on /mailFolders and /messages).
    status, code = 400, "ErrorRestrictionTooComplex"
    default_message = "The restriction or sort order is too complex for this operation."


# --- The identity endpoint (/{tenant}/oauth2/v2.0/token and its discovery documents) answers as
# Entra ID does, not with Graph's envelope: {"error", "error_description": "AADSTS…: …",
# "error_codes", …} (api/errors.py writes it).

class EntraError(GraphError):
    """An OAuth 2.0 error as Entra ID answers it: `error` (RFC 6749 §5.2) with an AADSTS number."""

    def __init__(self, status: int, error: str, aadsts: int, description: str) -> None:
        super().__init__(f"AADSTS{aadsts}: {description}")
        self.status, self.code, self.aadsts = status, error, aadsts


# --- Change notification subscriptions (/subscriptions). Graph's subscription service answers with
# its own codes, not Exchange's: seen in Graph's answers quoted in microsoftgraph issues
# (microsoft-graph-docs #2751 "NotificationUrl scheme='http' is not supported.", InvalidRequest;
# nodejs-webhooks-sample #350 "Subscription validation request timed out.", InvalidRequest;
# splunk/azure-functions-splunk #26 ValidationError; microsoft-graph-docs-contrib #7726 ExtensionError;
# msgraph-sdk-php #221 ResourceNotFound "The object was not found.").

class SubscriptionRequestInvalid(GraphError):
    status, code = 400, "InvalidRequest"
    default_message = "The subscription request is invalid."


class SubscriptionValidationFailed(SubscriptionValidationError):
    default_message = ("Subscription validation request failed. Notification endpoint must respond with 200 OK "
                       "to validation request.")


class SubscriptionExtensionError(GraphError):
    status, code = 400, "ExtensionError"


class SubscriptionQuotaExceeded(GraphError):
    # 1,000 subscriptions per mailbox (Learn, "Change notifications for Outlook resources"); the
    # subscription service passes Exchange's refusals on as ExtensionError "Operation: Create;
    # Exception: [Status Code: …; Reason: …]" (microsoftgraph/nodejs-webhooks-sample #21). The
    # exact status and reason for this one are not confirmed.
    status, code = 403, "ExtensionError"
    default_message = ("Operation: Create; Exception: [Status Code: Forbidden; Reason: The mailbox has reached "
                       "its limit of 1000 subscriptions.]")


class SubscriptionNotFound(GraphError):
    status, code = 404, "ResourceNotFound"
    default_message = "The object was not found."


# --- Throttling (api/throttling.py) and injected faults (api/faults.py). Graph answers a client over
# Outlook's limits with 429 and Retry-After seconds (learn.microsoft.com/graph/throttling).

class Throttled(GraphError):
    status, code = 429, "TooManyRequests"
    # Graph's generic throttling answer, as the throttling guidance shows it.
    default_message = "Please retry again later."

    def __init__(self, retry_after: int, message: str | None = None, code: str | None = None) -> None:
        super().__init__(message, headers={"Retry-After": str(retry_after)})
        if code is not None:
            self.code = code


class InjectedFault(GraphError):
    """A failure made on purpose by the faults setting, before the request ran."""

    def __init__(self, status: int, code: str, retry_after: int | None) -> None:
        super().__init__("A fault injected by graphpost (the faults setting): the request was not run.",
                         headers={} if retry_after is None else {"Retry-After": str(retry_after)})
        self.status, self.code = status, code
