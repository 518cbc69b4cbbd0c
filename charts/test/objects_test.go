package charttest

import (
	"encoding/json"
	"fmt"
	"regexp"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	sjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"
)

// serviceMonitor is the part of monitoring.coreos.com/v1 ServiceMonitor the chart
// renders. Decoding is strict, so a field the chart adds without adding it here
// (and checking it against the CRD) fails the tests.
type serviceMonitor struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`
	Spec              struct {
		Selector          metav1.LabelSelector `json:"selector"`
		NamespaceSelector struct {
			Any        bool     `json:"any,omitempty"`
			MatchNames []string `json:"matchNames,omitempty"`
		} `json:"namespaceSelector"`
		Endpoints []struct {
			Port          string `json:"port"`
			Path          string `json:"path,omitempty"`
			Scheme        string `json:"scheme,omitempty"`
			Interval      string `json:"interval,omitempty"`
			ScrapeTimeout string `json:"scrapeTimeout,omitempty"`
		} `json:"endpoints"`
	} `json:"spec"`
}

// promDuration is the CRD's pattern for interval and scrapeTimeout.
var promDuration = regexp.MustCompile(`^(0|(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?)$`)

// object is one rendered document, decoded into its API type.
type object struct {
	GVK  string // "apps/v1/Deployment"
	Kind string
	Meta *metav1.ObjectMeta
	Obj  any
	Raw  string
}

func newTyped(gvk string) (any, *metav1.ObjectMeta, error) {
	switch gvk {
	case "v1/ServiceAccount":
		o := &corev1.ServiceAccount{}
		return o, &o.ObjectMeta, nil
	case "v1/Secret":
		o := &corev1.Secret{}
		return o, &o.ObjectMeta, nil
	case "v1/ConfigMap":
		o := &corev1.ConfigMap{}
		return o, &o.ObjectMeta, nil
	case "v1/Service":
		o := &corev1.Service{}
		return o, &o.ObjectMeta, nil
	case "v1/Pod":
		o := &corev1.Pod{}
		return o, &o.ObjectMeta, nil
	case "apps/v1/Deployment":
		o := &appsv1.Deployment{}
		return o, &o.ObjectMeta, nil
	case "batch/v1/Job":
		o := &batchv1.Job{}
		return o, &o.ObjectMeta, nil
	case "autoscaling/v2/HorizontalPodAutoscaler":
		o := &autoscalingv2.HorizontalPodAutoscaler{}
		return o, &o.ObjectMeta, nil
	case "policy/v1/PodDisruptionBudget":
		o := &policyv1.PodDisruptionBudget{}
		return o, &o.ObjectMeta, nil
	case "networking.k8s.io/v1/NetworkPolicy":
		o := &networkingv1.NetworkPolicy{}
		return o, &o.ObjectMeta, nil
	case "networking.k8s.io/v1/Ingress":
		o := &networkingv1.Ingress{}
		return o, &o.ObjectMeta, nil
	case "monitoring.coreos.com/v1/ServiceMonitor":
		o := &serviceMonitor{}
		return o, &o.ObjectMeta, nil
	}
	return nil, nil, fmt.Errorf("the chart rendered %s, which these tests do not know: add it to newTyped", gvk)
}

// decodeStrict turns one YAML document into its typed object, refusing duplicate
// keys, unknown fields (at any depth), fields in the wrong case and wrong types,
// the way the API server's strict field validation does.
func decodeStrict(doc []byte) (object, error) {
	j, err := yaml.YAMLToJSONStrict(doc)
	if err != nil {
		return object{}, fmt.Errorf("not valid YAML: %w", err)
	}
	var tm metav1.TypeMeta
	if err := json.Unmarshal(j, &tm); err != nil {
		return object{}, err
	}
	if tm.APIVersion == "" || tm.Kind == "" {
		return object{}, fmt.Errorf("document without apiVersion/kind")
	}
	gvk := tm.APIVersion + "/" + tm.Kind
	obj, meta, err := newTyped(gvk)
	if err != nil {
		return object{}, err
	}
	strictErrs, err := sjson.UnmarshalStrict(j, obj, sjson.DisallowDuplicateFields, sjson.DisallowUnknownFields)
	if err != nil {
		return object{}, fmt.Errorf("%s: %w", gvk, err)
	}
	if len(strictErrs) > 0 {
		return object{}, fmt.Errorf("%s %s: %v", gvk, meta.Name, strictErrs)
	}
	return object{GVK: gvk, Kind: tm.Kind, Meta: meta, Obj: obj, Raw: string(doc)}, nil
}
