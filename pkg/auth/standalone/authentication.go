/*
Copyright The wardle-apiserver Authors.

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
*/

// Package standalone gives a standalone wardle-apiserver (no Kubernetes
// cluster to delegate to) real authentication and authorization, built from
// k8s.io/apiserver's authenticators and authorizers with the flags
// kube-apiserver users know.
package standalone

import (
	"fmt"

	"github.com/spf13/pflag"
	"k8s.io/apiserver/pkg/apis/apiserver"
	"k8s.io/apiserver/pkg/authentication/authenticator"
	"k8s.io/apiserver/pkg/authentication/group"
	"k8s.io/apiserver/pkg/authentication/request/anonymous"
	"k8s.io/apiserver/pkg/authentication/request/bearertoken"
	"k8s.io/apiserver/pkg/authentication/request/headerrequest"
	requestunion "k8s.io/apiserver/pkg/authentication/request/union"
	"k8s.io/apiserver/pkg/authentication/request/websocket"
	"k8s.io/apiserver/pkg/authentication/request/x509"
	tokencache "k8s.io/apiserver/pkg/authentication/token/cache"
	"k8s.io/apiserver/pkg/authentication/token/tokenfile"
	tokenunion "k8s.io/apiserver/pkg/authentication/token/union"
	genericapiserver "k8s.io/apiserver/pkg/server"
	genericoptions "k8s.io/apiserver/pkg/server/options"
	webhookutil "k8s.io/apiserver/pkg/util/webhook"
	webhooktoken "k8s.io/apiserver/plugin/pkg/authenticator/token/webhook"
	openapicommon "k8s.io/kube-openapi/pkg/common"
	"k8s.io/kube-openapi/pkg/validation/spec"
)

// AnonymousPaths are the only paths an anonymous request may reach, and
// only with --anonymous-auth=true.
var AnonymousPaths = []string{"/healthz", "/livez", "/readyz", "/version"}

// AuthenticationOptions are the standalone authenticators on top of the
// x509 client certificates (--client-ca-file) and front-proxy headers
// (--requestheader-*) that the library's options already describe.
type AuthenticationOptions struct {
	// TokenAuthFile is a static token file in kube-apiserver's CSV format:
	// token,user,uid,"group1,group2".
	TokenAuthFile string
	// WebhookConfigFile is a kubeconfig for a TokenReview webhook.
	WebhookConfigFile string
	// WebhookVersion is the TokenReview version the webhook speaks.
	WebhookVersion string
	// Anonymous lets requests without credentials reach AnonymousPaths.
	Anonymous bool
}

// NewAuthenticationOptions returns the defaults: no tokens, no webhook, no
// anonymous requests.
func NewAuthenticationOptions() *AuthenticationOptions {
	return &AuthenticationOptions{WebhookVersion: "v1"}
}

// AddFlags adds the standalone authentication flags.
func (o *AuthenticationOptions) AddFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.TokenAuthFile, "token-auth-file", o.TokenAuthFile, ""+
		"Standalone mode: a file of static bearer tokens, one per line as in kube-apiserver: token,user,uid,\"group1,group2\".")
	fs.StringVar(&o.WebhookConfigFile, "authentication-token-webhook-config-file", o.WebhookConfigFile, ""+
		"Standalone mode: a kubeconfig for a webhook that authenticates bearer tokens with TokenReview. "+
		"Answers are cached for --authentication-token-webhook-cache-ttl.")
	fs.StringVar(&o.WebhookVersion, "authentication-token-webhook-version", o.WebhookVersion, ""+
		"Standalone mode: the authentication.k8s.io TokenReview version the --authentication-token-webhook-config-file webhook speaks: v1 or v1beta1.")
	fs.BoolVar(&o.Anonymous, "anonymous-auth", o.Anonymous, ""+
		"Standalone mode: let requests without credentials in as system:anonymous, to "+fmt.Sprint(AnonymousPaths)+" only. "+
		"Off by default: such requests get 401.")
}

// Validate checks the webhook version.
func (o *AuthenticationOptions) Validate() []error {
	if o.WebhookVersion != "v1" && o.WebhookVersion != "v1beta1" {
		return []error{fmt.Errorf("--authentication-token-webhook-version must be v1 or v1beta1, not %q", o.WebhookVersion)}
	}
	return nil
}

// ApplyTo builds the authenticator of a standalone server into info:
// front-proxy headers (if --requestheader-client-ca-file is given), client
// certificates, static tokens, the token webhook and, last, anonymous
// requests. A request whose credentials fail gets 401; it never falls back
// to anonymous. The client CA, front-proxy settings and webhook cache TTL
// come from the library's delegated options, which define those flags.
// serviceAccounts, if not nil, accepts service-account tokens too.
func (o *AuthenticationOptions) ApplyTo(info *genericapiserver.AuthenticationInfo, serving *genericapiserver.SecureServingInfo, openAPI *openapicommon.Config, delegated *genericoptions.DelegatingAuthenticationOptions, serviceAccounts authenticator.Token) error {
	var authenticators []authenticator.Request

	if delegated.RequestHeader.ClientCAFile != "" {
		cfg, err := delegated.RequestHeader.ToAuthenticationRequestHeaderConfig()
		if err != nil {
			return fmt.Errorf("front-proxy authentication: %w", err)
		}
		authenticators = append(authenticators, headerrequest.NewDynamicVerifyOptionsSecure(
			cfg.CAContentProvider.VerifyOptions, cfg.AllowedClientNames,
			cfg.UsernameHeaders, cfg.UIDHeaders, cfg.GroupHeaders, cfg.ExtraHeaderPrefixes))
		info.RequestHeaderConfig = cfg
		if err := info.ApplyClientCert(cfg.CAContentProvider, serving); err != nil {
			return err
		}
	}

	if delegated.ClientCert.ClientCA != "" {
		ca, err := delegated.ClientCert.GetClientCAContentProvider()
		if err != nil {
			return fmt.Errorf("client certificate authentication: %w", err)
		}
		authenticators = append(authenticators, x509.NewDynamic(ca.VerifyOptions, x509.CommonNameUserConversion))
		if err := info.ApplyClientCert(ca, serving); err != nil {
			return err
		}
	}

	tokens, err := o.tokenAuthenticator(info.APIAudiences, delegated, serviceAccounts)
	if err != nil {
		return err
	}
	if tokens != nil {
		authenticators = append(authenticators, bearertoken.New(tokens), websocket.NewProtocolAuthenticator(tokens))
		if openAPI != nil {
			openAPI.SecurityDefinitions = &spec.SecurityDefinitions{"BearerToken": &spec.SecurityScheme{
				SecuritySchemeProps: spec.SecuritySchemeProps{Type: "apiKey", Name: "authorization", In: "header", Description: "Bearer Token authentication"},
			}}
		}
	}

	auth := group.NewAuthenticatedGroupAdder(requestunion.New(authenticators...))
	if o.Anonymous {
		conditions := make([]apiserver.AnonymousAuthCondition, 0, len(AnonymousPaths))
		for _, path := range AnonymousPaths {
			conditions = append(conditions, apiserver.AnonymousAuthCondition{Path: path})
		}
		auth = requestunion.NewFailOnError(auth, anonymous.NewAuthenticator(conditions))
	}
	info.Authenticator = auth
	return nil
}

// tokenAuthenticator combines the static token file, service-account
// tokens and the webhook, or returns nil when none is configured.
func (o *AuthenticationOptions) tokenAuthenticator(audiences authenticator.Audiences, delegated *genericoptions.DelegatingAuthenticationOptions, serviceAccounts authenticator.Token) (authenticator.Token, error) {
	var tokens []authenticator.Token
	if o.TokenAuthFile != "" {
		file, err := tokenfile.NewCSV(o.TokenAuthFile)
		if err != nil {
			return nil, fmt.Errorf("--token-auth-file: %w", err)
		}
		tokens = append(tokens, file)
	}
	if serviceAccounts != nil {
		tokens = append(tokens, serviceAccounts)
	}
	if o.WebhookConfigFile != "" {
		config, err := webhookutil.LoadKubeconfig(o.WebhookConfigFile, nil)
		if err != nil {
			return nil, fmt.Errorf("--authentication-token-webhook-config-file: %w", err)
		}
		hook, err := webhooktoken.New(config, o.WebhookVersion, audiences, *delegated.WebhookRetryBackoff)
		if err != nil {
			return nil, fmt.Errorf("--authentication-token-webhook-config-file: %w", err)
		}
		tokens = append(tokens, tokencache.New(hook, false, delegated.CacheTTL, delegated.CacheTTL))
	}
	if len(tokens) == 0 {
		return nil, nil
	}
	return tokenunion.New(tokens...), nil
}
