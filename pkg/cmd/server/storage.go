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

package server

import (
	"fmt"
	"path/filepath"

	serverstorage "k8s.io/apiserver/pkg/server/storage"

	"github.com/wardle-example/wardle-apiserver/apis/wardle"
	"github.com/wardle-example/wardle-apiserver/apis/wardle/v1beta1"
	"github.com/wardle-example/wardle-apiserver/pkg/apiserver"
	"github.com/wardle-example/wardle-apiserver/pkg/pki"
)

// completeStorage sets the storage codec and, without --etcd-servers,
// points the storage at the embedded etcd.
func (o *WardleServerOptions) completeStorage() error {
	if err := o.completeStorageCodec(); err != nil {
		return err
	}
	// The library's etcd checks would put etcd in liveness; applyEtcdHealthTo
	// puts it in readiness only.
	o.RecommendedOptions.Etcd.SkipHealthEndpoints = true
	etcd := o.RecommendedOptions.Etcd
	if len(etcd.StorageConfig.Transport.ServerList) > 0 {
		return nil
	}
	// The embedded etcd serves mutual TLS only, with a CA of its own in
	// <data-dir>/pki/etcd (not --cert-dir: it belongs to the etcd data
	// beside it), or the one replicas share (sharedEtcdCADir). Prepare
	// makes the certificates; the storage transport only needs their paths
	// now. The ports are chosen here.
	cfg, err := o.EmbeddedEtcd.Complete(o.DataDir)
	if err != nil {
		return err
	}
	cfg.CADir = o.sharedEtcdCADir()
	if cfg.Cluster != nil && cfg.CADir == "" {
		// Each replica would make an etcd CA of its own, and the members
		// would refuse one another's certificates.
		return fmt.Errorf("--embedded-etcd-initial-cluster needs the etcd CA every replica shares: --cert-dir naming a dir with etcd/ca.crt and etcd/ca.key (wardle-apiserver pki create makes one)")
	}
	o.embeddedEtcd = cfg
	transport := &etcd.StorageConfig.Transport
	transport.ServerList = []string{cfg.ClientURL.String()}
	transport.TrustedCAFile, transport.CertFile, transport.KeyFile = cfg.CAFile(), cfg.ClientCertFile(), cfg.ClientKeyFile()
	return nil
}

// sharedEtcdCADir is <cert-dir>/etcd when --cert-dir names a dir that
// holds an etcd CA there, as `wardle-apiserver pki create` makes it: the
// CA that the embedded etcds of replicas sharing that dir must all trust,
// so that they can form one cluster. Each replica issues its own
// certificates from it into <data-dir>/pki/etcd. Otherwise it is empty, and
// etcd's CA is the server's own, in <data-dir>/pki/etcd.
func (o *WardleServerOptions) sharedEtcdCADir() string {
	if !o.certDirGiven {
		return ""
	}
	dir := filepath.Join(o.RecommendedOptions.SecureServing.ServerCert.CertDirectory, "etcd")
	if !pki.Exists(filepath.Join(dir, "ca.crt")) {
		return ""
	}
	return dir
}

// completeStorageCodec stores every wardle kind as v1beta1 in the
// --storage-media-type encoding. The library's simple storage factory takes
// the codec as given, so without this the flag would do nothing. The
// decoder recognizes every encoding, so objects written in another one
// before stay readable and are rewritten in this one when they change.
func (o *WardleServerOptions) completeStorageCodec() error {
	etcd := o.RecommendedOptions.Etcd
	codec, versioner, err := serverstorage.NewStorageCodec(serverstorage.StorageCodecConfig{
		StorageMediaType:  etcd.DefaultStorageMediaType,
		StorageSerializer: apiserver.Codecs,
		StorageVersion:    v1beta1.SchemeGroupVersion,
		MemoryVersion:     wardle.SchemeGroupVersion,
		Config:            etcd.StorageConfig,
	})
	if err != nil {
		return fmt.Errorf("--storage-media-type: %w", err)
	}
	etcd.StorageConfig.Codec, etcd.StorageConfig.EncodeVersioner = codec, versioner
	return nil
}
