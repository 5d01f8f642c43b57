"""The refusals of the identity endpoint, with Entra ID's error, AADSTS number, words and status
(as Entra answers them; docs/identity.md has the table)."""

from __future__ import annotations

from graphpost.errors import EntraError


def unknown_tenant(tenant: str) -> EntraError:
    return EntraError(400, "invalid_tenant", 90002,
                      f"Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are "
                      "signing into the correct cloud. Check with your subscription administrator, this may "
                      "happen if there are no active subscriptions for the tenant.")


def tenant_required(client_id: str, tenant: str) -> EntraError:
    # graphpost's apps are single-tenant registrations; Entra refuses /common and /organizations for those.
    return EntraError(400, "invalid_request", 50194,
                      f"Application '{client_id}' is not configured as a multi-tenant application. Usage of the "
                      f"/{tenant} endpoint is not supported for such applications. Use a tenant-specific "
                      "endpoint or configure the application to be multi-tenant.")


def missing_parameter(name: str) -> EntraError:
    return EntraError(400, "invalid_request", 900144,
                      f"The request body must contain the following parameter: '{name}'.")


def invalid_request(description: str) -> EntraError:
    # Entra's code for a request it cannot read at all, with graphpost's words for what is wrong.
    return EntraError(400, "invalid_request", 9002313,
                      f"Invalid request. Request is malformed or invalid. {description}")


def unsupported_grant_type(grant_type: str) -> EntraError:
    return EntraError(400, "unsupported_grant_type", 70003,
                      f"The app requested an unsupported grant type '{grant_type}'.")


def unknown_client(client_id: str, tenant: str) -> EntraError:
    return EntraError(400, "unauthorized_client", 700016,
                      f"Application with identifier '{client_id}' was not found in the directory '{tenant}'. "
                      "This can happen if the application has not been installed by the administrator of the "
                      "tenant or consented to by any user in the tenant. You may have sent your authentication "
                      "request to the wrong tenant.")


def missing_credentials() -> EntraError:
    return EntraError(401, "invalid_client", 7000218,
                      "The request body must contain the following parameter: 'client_assertion' or "
                      "'client_secret'.")


def wrong_secret(client_id: str) -> EntraError:
    return EntraError(401, "invalid_client", 7000215,
                      "Invalid client secret provided. Ensure the secret being sent in the request is the client "
                      f"secret value, not the client secret ID, for a secret added to app '{client_id}'.")


def malformed_assertion(reason: str) -> EntraError:
    return EntraError(401, "invalid_client", 50027, f"JWT token is invalid or malformed. [Reason - {reason}]")


def assertion_of_another_client() -> EntraError:
    return EntraError(401, "invalid_client", 700021,
                      "Client assertion application identifier doesn't match 'client_id' parameter.")


def assertion_signature(reason: str, thumbprint: str, client_id: str) -> EntraError:
    return EntraError(401, "invalid_client", 700027,
                      f"Client assertion contains an invalid signature. [Reason - {reason}, Thumbprint of key "
                      f"used by client: '{thumbprint}', Please see the certificates registered for app Id "
                      f"'{client_id}' (graphpost app list).]")


def assertion_out_of_time(now: str, valid_from: str, expires: str) -> EntraError:
    return EntraError(401, "invalid_client", 700024,
                      f"Client assertion is not within its valid time range. Current time: {now}, assertion valid "
                      f"from {valid_from}, expiry time of assertion {expires}.")


def invalid_scope(scope: str) -> EntraError:
    return EntraError(400, "invalid_scope", 70011,
                      f"The provided value for the input parameter 'scope' is not valid. The scope {scope} is not "
                      "valid.")


def several_resources(scope: str) -> EntraError:
    return EntraError(400, "invalid_scope", 28000,
                      "Provided value for the input parameter scope is not valid because it contains more than one "
                      f"resource. Scope {scope} is not valid.")


def scope_without_default(scope: str) -> EntraError:
    return EntraError(400, "invalid_scope", 1002012,
                      f"The provided value for scope {scope} is not valid. Client credential flows must have a "
                      "scope value with /.default suffixed to the resource identifier (application ID URI).")


def unknown_resource(resource: str, tenant: str) -> EntraError:
    return EntraError(400, "invalid_resource", 500011,
                      f"The resource principal named {resource} was not found in the tenant named {tenant}. This "
                      "can happen if the application has not been installed by the administrator of the tenant "
                      "or consented to by any user in the tenant. You might have sent your authentication request "
                      "to the wrong tenant.")


def unknown_instance() -> EntraError:
    return EntraError(400, "invalid_instance", 50049, "Unknown or invalid instance.")


def wrong_password() -> EntraError:
    return EntraError(400, "invalid_grant", 50126, "Error validating credentials due to invalid username or password.")


def unknown_user(username: str, tenant: str) -> EntraError:
    return EntraError(400, "invalid_grant", 50034,
                      f"The user account {username} does not exist in the {tenant} directory. To sign into this "
                      "application, the account must be added to the directory.")


def user_disabled() -> EntraError:
    return EntraError(400, "invalid_grant", 50057, "The user account is disabled.")


# The sign-in grants: authorization code, refresh token, device code.

def unsupported_response_type(response_type: str) -> EntraError:
    return EntraError(400, "unsupported_response_type", 70005,
                      f"The provided value for the input parameter 'response_type' ({response_type}) is not "
                      "allowed for this request. Expected value: code.")


def redirect_uri_mismatch(redirect_uri: str, client_id: str) -> EntraError:
    return EntraError(400, "invalid_request", 50011,
                      f"The redirect URI '{redirect_uri}' specified in the request does not match the redirect "
                      f"URIs configured for the application '{client_id}'. graphpost accepts loopback redirect "
                      "URIs (http://localhost or http://127.0.0.1, any port).")


def invalid_code_challenge(reason: str) -> EntraError:
    return EntraError(400, "invalid_request", 501491, f"Invalid code_challenge parameter. {reason}")


def user_declined() -> EntraError:
    return EntraError(400, "access_denied", 65004, "User declined to consent to access the app.")


def grant_expired() -> EntraError:
    return EntraError(400, "invalid_grant", 70008,
                      "The provided authorization code or refresh token has expired due to inactivity. Send a new "
                      "interactive authorization request for this user and resource.")


def code_redeemed() -> EntraError:
    # Unknown and already used look the same: graphpost keeps no row of a code once redeemed.
    return EntraError(400, "invalid_grant", 54005,
                      "OAuth2 Authorization code was already redeemed, please retry with a new valid code or use "
                      "an existing refresh token.")


def grant_of_another_client() -> EntraError:
    return EntraError(400, "invalid_grant", 70000,
                      "Provided grant is invalid or malformed. It was issued to another client.")


def redirect_uri_differs() -> EntraError:
    return EntraError(400, "invalid_grant", 500112,
                      "The reply address does not match the reply address provided when requesting Authorization "
                      "code.")


def code_verifier_mismatch() -> EntraError:
    return EntraError(400, "invalid_grant", 501481,
                      "The Code_Verifier does not match the code_challenge supplied in the authorization request.")


def refresh_token_revoked() -> EntraError:
    return EntraError(400, "invalid_grant", 50173,
                      "The provided grant has expired due to it being revoked, a fresh auth token is needed. The "
                      "user might have changed or reset their password, or the refresh token was used already.")


def scope_not_granted(scope: str) -> EntraError:
    return EntraError(400, "invalid_grant", 65001,
                      f"The user or administrator has not consented to use the application with the scope {scope}. "
                      "Send an interactive authorization request for this user and resource.")


def authorization_pending() -> EntraError:
    return EntraError(400, "authorization_pending", 70016,
                      "OAuth 2.0 device flow error. Authorization is pending. Continue polling.")


def slow_down() -> EntraError:
    return EntraError(400, "slow_down", 70016, "OAuth 2.0 device flow error. Polled too often: slow down.")


def device_code_expired() -> EntraError:
    return EntraError(400, "expired_token", 70019, "Verification code expired.")


def device_declined() -> EntraError:
    return EntraError(400, "authorization_declined", 70000, "The end user denied the authorization request.")


def bad_device_code() -> EntraError:
    return EntraError(400, "invalid_grant", 70000, "Provided grant is invalid or malformed: unknown device_code.")


def login_required() -> EntraError:
    # prompt=none: graphpost keeps no browser session, so a silent sign-in always needs the page.
    return EntraError(400, "login_required", 50058,
                      "A silent sign-in request was sent but no user is signed in.")
