// Command kube-apiserver serves the real Kubernetes API machinery (the apiextensions API server:
// CustomResourceDefinitions and their custom resources, validated with the CRDs' OpenAPI schemas
// and CEL rules) on etcd, for the Gateway API and Istio router tests. Standalone, the upstream
// server delegates authentication and authorization to a cluster (TokenReviews and
// SubjectAccessReviews) that does not exist here; this build turns both off the way envtest-style
// harnesses do: every request is an admin and every request is allowed. Core API informers and
// admission plugins need a kube-apiserver too, so they are off as well. Listens on loopback only.
package main

import (
	"flag"
	"fmt"
	"net/http"
	"os"

	"k8s.io/apiextensions-apiserver/pkg/cmd/server/options"
	"k8s.io/apiserver/pkg/admission"
	"k8s.io/apiserver/pkg/authentication/authenticator"
	"k8s.io/apiserver/pkg/authentication/user"
	genericapiserver "k8s.io/apiserver/pkg/server"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "kube-apiserver:", err)
		os.Exit(1)
	}
}

func run() error {
	o := options.NewCustomResourceDefinitionsServerOptions(os.Stdout, os.Stderr)
	fs := flag.NewFlagSet("kube-apiserver", flag.ExitOnError)
	etcd := fs.String("etcd-servers", "http://127.0.0.1:2379", "etcd client URL")
	port := fs.Int("secure-port", 6443, "HTTPS port on 127.0.0.1")
	certDir := fs.String("cert-dir", "", "where the self-signed serving certificate is written")
	_ = fs.Parse(os.Args[1:])

	o.RecommendedOptions.Etcd.StorageConfig.Transport.ServerList = []string{*etcd}
	o.RecommendedOptions.SecureServing.BindPort = *port
	o.RecommendedOptions.SecureServing.BindAddress = []byte{127, 0, 0, 1}
	if *certDir != "" {
		o.RecommendedOptions.SecureServing.ServerCert.CertDirectory = *certDir
	}
	// nil options are the upstream way to switch these off: nil authorization is AlwaysAllow.
	o.RecommendedOptions.Authentication = nil
	o.RecommendedOptions.Authorization = nil
	o.RecommendedOptions.CoreAPI = nil
	o.RecommendedOptions.Admission = nil
	o.RecommendedOptions.Features.EnablePriorityAndFairness = false
	// The options' Config() reads services from the core informer factory (for conversion
	// webhooks, which the CRDs used here do not have). Without a core API that factory is left
	// nil, so an empty in-memory clientset backs it; this hook runs right after CoreAPI would
	// have set it.
	o.RecommendedOptions.ExtraAdmissionInitializers = func(c *genericapiserver.RecommendedConfig) ([]admission.PluginInitializer, error) {
		c.SharedInformerFactory = informers.NewSharedInformerFactory(fake.NewClientset(), 0)
		return nil, nil
	}
	if err := o.ServerRunOptions.ComponentGlobalsRegistry.Set(); err != nil {
		return err
	}
	if err := o.Complete(); err != nil {
		return err
	}
	if err := o.Validate(); err != nil {
		return err
	}
	config, err := o.Config()
	if err != nil {
		return err
	}
	// Every request is the cluster admin (the loopback client keeps its own token on top).
	config.GenericConfig.Authentication.Authenticator = authenticator.RequestFunc(
		func(*http.Request) (*authenticator.Response, bool, error) {
			return &authenticator.Response{User: &user.DefaultInfo{
				Name: "admin", Groups: []string{user.SystemPrivilegedGroup, user.AllAuthenticated},
			}}, true, nil
		})
	server, err := config.Complete().New(genericapiserver.NewEmptyDelegate())
	if err != nil {
		return err
	}
	// SIGTERM or SIGINT stops it.
	return server.GenericAPIServer.PrepareRun().RunWithContext(genericapiserver.SetupSignalContext())
}
