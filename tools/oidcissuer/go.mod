// Module oidcissuer is the test bed's OIDC issuer: the identity provider
// the bed's Fulcio trusts, issuing tokens shaped like GitHub Actions'.
// Standard library only.
module github.com/xedgesim/simulate/tools/oidcissuer

go 1.26.0
