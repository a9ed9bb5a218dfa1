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

package localcluster

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// The Deployment of artifacts/deploy that runs wardle-controller.
const (
	ControllerNamespace  = "wardle"
	ControllerDeployment = "wardle-controller"
)

// healthProbeFlag is the flag that the Deployment sets to 0.0.0.0 for the
// kubelet's probes.
const healthProbeFlag = "--health-probe-bind-address"

// Controllers are wardle-controller processes run as the Deployment
// wardle/wardle-controller would run its pods.
type Controllers struct {
	// ServiceAccount is the Deployment's, which the processes authenticate
	// as.
	ServiceAccount string
	// Args are the container's args, as the processes got them, less
	// --kubeconfig and with the probe address on loopback.
	Args     []string
	Replicas []*Controller
}

// Controller is one wardle-controller process.
type Controller struct {
	// ProbeURL is where it serves the Deployment's probes, http://127.0.0.1:<port>.
	ProbeURL string
	// ReadinessPath and LivenessPath are the Deployment's probes' paths.
	ReadinessPath, LivenessPath string
	Process                     *Process
}

// StartControllers starts replicas processes of binary as the Deployment
// wardle/wardle-controller, which DeployWardle applied to k, runs its pods:
// with its container's args, authenticated with a token of its
// ServiceAccount (there is no in-cluster config, so --kubeconfig is added),
// each with the health-probe address (0.0.0.0 in a pod) moved to a free
// loopback port. It checks that the container runs /wardle-controller and
// that the probes point at that address, and waits until every replica's
// readiness probe passes. Their files are in dir.
func StartControllers(ctx context.Context, k *KubeAPIServer, dir, binary string, replicas int) (*Controllers, error) {
	kube, err := kubernetes.NewForConfig(k.Admin)
	if err != nil {
		return nil, err
	}
	d, err := kube.AppsV1().Deployments(ControllerNamespace).Get(ctx, ControllerDeployment, metav1.GetOptions{})
	if err != nil {
		return nil, err
	}
	container, probePort, err := controllerContainer(d)
	if err != nil {
		return nil, err
	}
	cs := &Controllers{ServiceAccount: d.Spec.Template.Spec.ServiceAccountName}
	if cs.ServiceAccount == "" {
		return nil, fmt.Errorf("deployment %s/%s names no serviceAccountName", d.Namespace, d.Name)
	}
	out, err := k.Kubectl("", "create", "token", cs.ServiceAccount, "--namespace="+ControllerNamespace, "--duration=24h")
	if err != nil {
		return nil, err
	}
	kubeconfig, err := k.TokenKubeconfig("wardle-controller", strings.TrimSpace(out))
	if err != nil {
		return nil, err
	}

	for i := range replicas {
		port, err := FreePort()
		if err != nil {
			return nil, err
		}
		args := []string{"--kubeconfig=" + kubeconfig}
		for _, arg := range container.Args {
			if flag, value, ok := strings.Cut(arg, "="); ok && flag == healthProbeFlag {
				if _, p, err := net.SplitHostPort(value); err != nil || p != strconv.Itoa(probePort) {
					return nil, fmt.Errorf("the probes use port %d, but the container has %s (%v)", probePort, arg, err)
				}
				arg = healthProbeFlag + "=127.0.0.1:" + strconv.Itoa(port)
			}
			args = append(args, arg)
		}
		if i == 0 {
			cs.Args = args[1:]
		}
		c := &Controller{
			ProbeURL:      "http://127.0.0.1:" + strconv.Itoa(port),
			ReadinessPath: container.ReadinessProbe.HTTPGet.Path,
			LivenessPath:  container.LivenessProbe.HTTPGet.Path,
		}
		if c.Process, err = StartProcess(fmt.Sprintf("wardle-controller-%d", i), dir, binary, args...); err != nil {
			cs.Stop()
			return nil, err
		}
		cs.Replicas = append(cs.Replicas, c)
	}
	for _, c := range cs.Replicas {
		if err := c.Process.WaitReady(ctx, ReadyTimeout, c.Process.Name+" readiness probe", func(ctx context.Context) error {
			return c.Probe(ctx, c.ReadinessPath)
		}); err != nil {
			cs.Stop()
			return nil, fmt.Errorf("%w\n%s log:\n%s", err, c.Process.Name, c.Process.Log())
		}
	}
	return cs, nil
}

// controllerContainer returns the Deployment's wardle-controller container
// and the port its probes use, after checking that it is what
// StartControllers can run.
func controllerContainer(d *appsv1.Deployment) (*corev1.Container, int, error) {
	containers := d.Spec.Template.Spec.Containers
	if len(containers) != 1 {
		return nil, 0, fmt.Errorf("deployment %s/%s has %d containers, want 1", d.Namespace, d.Name, len(containers))
	}
	c := &containers[0]
	if len(c.Command) != 1 || path.Base(c.Command[0]) != "wardle-controller" {
		return nil, 0, fmt.Errorf("deployment %s/%s runs %q, want the wardle-controller binary", d.Namespace, d.Name, c.Command)
	}
	port := -1
	for _, probe := range []*corev1.Probe{c.ReadinessProbe, c.LivenessProbe} {
		if probe == nil || probe.HTTPGet == nil || (probe.HTTPGet.Scheme != "" && probe.HTTPGet.Scheme != corev1.URISchemeHTTP) {
			return nil, 0, fmt.Errorf("deployment %s/%s: want HTTP readiness and liveness probes, got %+v and %+v", d.Namespace, d.Name, c.ReadinessProbe, c.LivenessProbe)
		}
		p := probe.HTTPGet.Port.IntValue()
		if p == 0 {
			for _, cp := range c.Ports {
				if cp.Name == probe.HTTPGet.Port.String() {
					p = int(cp.ContainerPort)
				}
			}
		}
		if p == 0 || (port >= 0 && p != port) {
			return nil, 0, fmt.Errorf("deployment %s/%s: the probes' port %q is not one container port", d.Namespace, d.Name, probe.HTTPGet.Port.String())
		}
		port = p
	}
	return c, port, nil
}

// Stop stops every replica still running.
func (cs *Controllers) Stop() {
	for _, c := range cs.Replicas {
		_ = c.Process.Stop()
	}
}

// Probe gets path (such as ReadinessPath) as the kubelet would, and fails
// unless it answers 200.
func (c *Controller) Probe(ctx context.Context, path string) error {
	code, body, err := c.get(ctx, path)
	if err != nil {
		return err
	}
	if code != http.StatusOK {
		return fmt.Errorf("%s %s: %d %s", c.Process.Name, path, code, body)
	}
	return nil
}

// Leading reads the replica's /metrics: whether it holds the Lease, by
// client-go's leader_election_master_status.
func (c *Controller) Leading(ctx context.Context) (bool, error) {
	code, body, err := c.get(ctx, "/metrics")
	if err != nil {
		return false, err
	}
	if code != http.StatusOK {
		return false, fmt.Errorf("%s /metrics: %d", c.Process.Name, code)
	}
	const metric = `leader_election_master_status{name="wardle-controller"} `
	scanner := bufio.NewScanner(strings.NewReader(body))
	for scanner.Scan() {
		if value, ok := strings.CutPrefix(scanner.Text(), metric); ok {
			return value == "1", nil
		}
	}
	return false, fmt.Errorf("%s /metrics has no %s", c.Process.Name, strings.TrimSpace(metric))
}

func (c *Controller) get(ctx context.Context, path string) (int, string, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.ProbeURL+path, nil)
	if err != nil {
		return 0, "", err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body), err
}
