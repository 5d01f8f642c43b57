"""An Entra ID v2-shaped identity endpoint: discovery documents, signing keys and the token
endpoint's grants, answered the way MSAL and azure-identity expect (docs/identity.md)."""
