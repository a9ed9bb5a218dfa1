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

package standalone

import (
	"fmt"
	"time"

	"github.com/spf13/pflag"
	"k8s.io/apiserver/pkg/authentication/authenticator"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	admissionregistrationlisters "k8s.io/client-go/listers/admissionregistration/v1"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/keyutil"
	serviceaccountcontroller "k8s.io/kubernetes/pkg/controller/serviceaccount"
	"k8s.io/kubernetes/pkg/serviceaccount"
)

// ServiceAccountOptions are how a standalone server issues and accepts
// service-account tokens (kube-apiserver's flags of the same names). The
// tokens are Kubernetes' own bound JWTs: TokenRequest issues them
// (kubectl create token), TokenReview and every request accept them while
// the ServiceAccount (and the Secret it is bound to, if any) exists.
type ServiceAccountOptions struct {
	// Issuer is the iss claim of issued tokens; tokens of other issuers are
	// not accepted.
	Issuer string
	// SigningKeyFile holds the private key that signs tokens. A standalone
	// server generates it (ECDSA P-256) when it does not exist.
	SigningKeyFile string
	// KeyFiles hold further public (or private) keys whose tokens are
	// accepted, e.g. the key of a signing key being rotated out.
	KeyFiles []string
	// MaxExpiration caps the lifetime of a requested token.
	MaxExpiration time.Duration
	// APIAudiences are the audiences a token must have when a request does
	// not say; empty means the issuer.
	APIAudiences []string
}

// NewServiceAccountOptions returns the defaults: kubeadm's issuer, no cap
// on requested lifetimes (tokens last an hour unless asked otherwise).
func NewServiceAccountOptions() *ServiceAccountOptions {
	return &ServiceAccountOptions{Issuer: "https://kubernetes.default.svc.cluster.local"}
}

// AddFlags adds the service-account flags.
func (o *ServiceAccountOptions) AddFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.Issuer, "service-account-issuer", o.Issuer, ""+
		"Standalone mode: the issuer (iss claim) of service-account tokens this server issues and accepts.")
	fs.StringVar(&o.SigningKeyFile, "service-account-signing-key-file", o.SigningKeyFile, ""+
		"Standalone mode: PEM private key that signs service-account tokens. Default: <data-dir>/pki/sa.key, generated when missing.")
	fs.StringSliceVar(&o.KeyFiles, "service-account-key-file", o.KeyFiles, ""+
		"Standalone mode: PEM files of further public or private keys whose service-account tokens are accepted (repeatable). "+
		"The signing key is always accepted.")
	fs.DurationVar(&o.MaxExpiration, "service-account-max-token-expiration", o.MaxExpiration, ""+
		"Standalone mode: the longest lifetime a requested service-account token may have; 0 is no limit.")
	fs.StringSliceVar(&o.APIAudiences, "api-audiences", o.APIAudiences, ""+
		"Standalone mode: audiences a token must have when a request does not name them. Default: the issuer.")
}

// Validate checks the options.
func (o *ServiceAccountOptions) Validate() []error {
	var errs []error
	if o.Issuer == "" {
		errs = append(errs, fmt.Errorf("--service-account-issuer must not be empty"))
	}
	if o.MaxExpiration != 0 && (o.MaxExpiration < time.Hour || o.MaxExpiration > (1<<32)*time.Second) {
		errs = append(errs, fmt.Errorf("--service-account-max-token-expiration must be 0 or between 1h and 2^32 seconds"))
	}
	return errs
}

// Audiences are the API audiences: --api-audiences, or the issuer.
func (o *ServiceAccountOptions) Audiences() authenticator.Audiences {
	if len(o.APIAudiences) > 0 {
		return o.APIAudiences
	}
	return authenticator.Audiences{o.Issuer}
}

// EnsureSigningKey generates the signing key file when it is missing. The
// server calls it with the other certificates, before it builds its
// configuration: TokenGenerator only reads the key.
func (o *ServiceAccountOptions) EnsureSigningKey() error {
	if _, _, err := keyutil.LoadOrGenerateKeyFile(o.SigningKeyFile); err != nil {
		return fmt.Errorf("--service-account-signing-key-file: %w", err)
	}
	return nil
}

// TokenGenerator reads the signing key (see EnsureSigningKey) and returns
// the token issuer.
func (o *ServiceAccountOptions) TokenGenerator() (serviceaccount.TokenGenerator, error) {
	key, err := keyutil.PrivateKeyFromFile(o.SigningKeyFile)
	if err != nil {
		return nil, fmt.Errorf("--service-account-signing-key-file: %w", err)
	}
	return serviceaccount.JWTTokenGenerator(o.Issuer, key)
}

// TokenAuthenticator accepts the tokens of the issuer signed by the
// signing key or any --service-account-key-file, checking through the
// server's own API (informers, then the client) that what a token is bound
// to still exists.
func (o *ServiceAccountOptions) TokenAuthenticator(client kubernetes.Interface, factory informers.SharedInformerFactory) (authenticator.Token, error) {
	var keys []interface{}
	for _, file := range append([]string{o.SigningKeyFile}, o.KeyFiles...) {
		fileKeys, err := keyutil.PublicKeysFromFile(file)
		if err != nil {
			return nil, fmt.Errorf("service-account key %s: %w", file, err)
		}
		keys = append(keys, fileKeys...)
	}
	publicKeys, err := serviceaccount.StaticPublicKeysGetter(keys)
	if err != nil {
		return nil, err
	}
	// Pods, nodes and webhook configurations are not served here: their
	// listers are empty, the getter then asks the server, which answers
	// NotFound, and a token bound to one of them is refused.
	none := cache.NewIndexer(cache.MetaNamespaceKeyFunc, cache.Indexers{})
	getter := serviceaccountcontroller.NewGetterFromClient(client,
		factory.Core().V1().Secrets().Lister(), factory.Core().V1().ServiceAccounts().Lister(),
		corelisters.NewPodLister(none), corelisters.NewNodeLister(none),
		admissionregistrationlisters.NewValidatingWebhookConfigurationLister(none),
		admissionregistrationlisters.NewMutatingWebhookConfigurationLister(none))
	return serviceaccount.JWTTokenAuthenticator([]string{o.Issuer}, publicKeys, o.Audiences(), serviceaccount.NewValidator(getter)), nil
}
