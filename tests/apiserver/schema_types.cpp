// The Go structs the test API server models, in a compact notation parsed
// once at start-up (see schema.cpp):
//
//   Name[!]: field type[=]; field *type; field []type; field map[type]
//
// `!` marks a fully modelled struct (unknown fields are dropped as Go
// drops them); `=` marks a field without `omitempty`; `*` a pointer.
// Scalars: string bool int32 int64 float64 time microtime quantity intstr
// bytes raw. Fields are listed in Go declaration order, which is the order
// json.Marshal prints them in.

namespace cafelet::apiserver::detail {

extern const char* const schema_text;

const char* const schema_text = R"(
ObjectMeta!: name string; generateName string; namespace string; selfLink string;
  uid string; resourceVersion string; generation int64; creationTimestamp time;
  deletionTimestamp *time; deletionGracePeriodSeconds *int64;
  labels map[string]; annotations map[string]; ownerReferences []OwnerReference;
  finalizers []string; managedFields []ManagedFieldsEntry
OwnerReference!: apiVersion string=; kind string=; name string=; uid string=;
  controller *bool; blockOwnerDeletion *bool
ManagedFieldsEntry!: manager string; operation string; apiVersion string;
  time *time; fieldsType string; fieldsV1 *raw; subresource string
ObjectReference!: kind string; namespace string; name string; uid string;
  apiVersion string; resourceVersion string; fieldPath string
LocalObjectReference!: name string

Lease!: kind string; apiVersion string; metadata ObjectMeta; spec LeaseSpec
LeaseSpec!: holderIdentity *string; leaseDurationSeconds *int32;
  acquireTime *microtime; renewTime *microtime; leaseTransitions *int32;
  strategy *string; preferredHolder *string

ConfigMap!: kind string; apiVersion string; metadata ObjectMeta;
  immutable *bool; data map[string]; binaryData map[bytes]
Secret!: kind string; apiVersion string; metadata ObjectMeta; immutable *bool;
  data map[bytes]; stringData map[string]; type string
ServiceAccount!: kind string; apiVersion string; metadata ObjectMeta;
  secrets []ObjectReference; imagePullSecrets []LocalObjectReference;
  automountServiceAccountToken *bool
Namespace!: kind string; apiVersion string; metadata ObjectMeta;
  spec NamespaceSpec; status NamespaceStatus
NamespaceSpec!: finalizers []string
NamespaceStatus!: phase string; conditions []raw

Event!: kind string; apiVersion string; metadata ObjectMeta;
  involvedObject ObjectReference; reason string; message string;
  source EventSource; firstTimestamp time; lastTimestamp time; count int32;
  type string; eventTime microtime; series *EventSeries; action string;
  related *ObjectReference; reportingComponent string=;
  reportingInstance string=
EventSource!: component string; host string
EventSeries!: count int32; lastObservedTime microtime

Node!: kind string; apiVersion string; metadata ObjectMeta; spec NodeSpec;
  status NodeStatus
NodeSpec!: podCIDR string; podCIDRs []string; providerID string;
  unschedulable bool; taints []Taint; configSource *raw; externalID string
Taint!: key string=; value string; effect string=; timeAdded *time
NodeStatus!: capacity map[quantity]; allocatable map[quantity]; phase string;
  conditions []NodeCondition; addresses []NodeAddress;
  daemonEndpoints NodeDaemonEndpoints; nodeInfo NodeSystemInfo;
  images []ContainerImage; volumesInUse []string;
  volumesAttached []AttachedVolume; config *raw; runtimeHandlers []raw;
  features *raw
NodeCondition!: type string=; status string=; lastHeartbeatTime time;
  lastTransitionTime time; reason string; message string
NodeAddress!: type string=; address string=
NodeDaemonEndpoints!: kubeletEndpoint DaemonEndpoint
DaemonEndpoint!: Port int32=
NodeSystemInfo!: machineID string=; systemUUID string=; bootID string=;
  kernelVersion string=; osImage string=; containerRuntimeVersion string=;
  kubeletVersion string=; kubeProxyVersion string=; operatingSystem string=;
  architecture string=; swap *raw
ContainerImage!: names []string=; sizeBytes int64
AttachedVolume!: name string=; devicePath string=

Pod!: kind string; apiVersion string; metadata ObjectMeta; spec PodSpec;
  status PodStatus
PodSpec: volumes []Volume; initContainers []Container;
  containers []Container=; ephemeralContainers []raw; restartPolicy string;
  terminationGracePeriodSeconds *int64; activeDeadlineSeconds *int64;
  dnsPolicy string; nodeSelector map[string]; serviceAccountName string;
  serviceAccount string; automountServiceAccountToken *bool; nodeName string;
  hostNetwork bool; hostPID bool; hostIPC bool; shareProcessNamespace *bool;
  securityContext *raw; imagePullSecrets []LocalObjectReference;
  hostname string; subdomain string; affinity *raw; schedulerName string;
  tolerations []Toleration; hostAliases []raw; priorityClassName string;
  priority *int32; dnsConfig *raw; readinessGates []raw;
  runtimeClassName *string; enableServiceLinks *bool;
  preemptionPolicy *string; overhead map[quantity];
  topologySpreadConstraints []raw; setHostnameAsFQDN *bool; os *raw;
  hostUsers *bool; schedulingGates []raw; resourceClaims []raw;
  resources *raw
Volume: name string=; hostPath *raw; emptyDir *raw; gcePersistentDisk *raw;
  awsElasticBlockStore *raw; gitRepo *raw; secret *raw; nfs *raw;
  iscsi *raw; glusterfs *raw; persistentVolumeClaim *raw; rbd *raw;
  flexVolume *raw; cinder *raw; cephfs *raw; flocker *raw;
  downwardAPI *raw; fc *raw; azureFile *raw; configMap *raw;
  vsphereVolume *raw; quobyte *raw; azureDisk *raw;
  photonPersistentDisk *raw; projected *raw; portworxVolume *raw;
  scaleIO *raw; storageos *raw; csi *raw; ephemeral *raw; image *raw
Container: name string=; image string; command []string; args []string;
  workingDir string; ports []ContainerPort; envFrom []raw; env []EnvVar;
  resources ResourceRequirements; resizePolicy []raw; restartPolicy *string;
  volumeMounts []VolumeMount; volumeDevices []raw; livenessProbe *Probe;
  readinessProbe *Probe; startupProbe *Probe; lifecycle *raw;
  terminationMessagePath string; terminationMessagePolicy string;
  imagePullPolicy string; securityContext *raw; stdin bool; stdinOnce bool;
  tty bool
ContainerPort!: name string; hostPort int32; containerPort int32=;
  protocol string; hostIP string
EnvVar!: name string=; value string; valueFrom *raw
ResourceRequirements!: limits map[quantity]; requests map[quantity];
  claims []raw
VolumeMount!: name string=; readOnly bool; recursiveReadOnly *string;
  mountPath string=; subPath string; mountPropagation *string;
  subPathExpr string
Probe!: exec *raw; httpGet *HTTPGetAction; tcpSocket *raw; grpc *raw;
  initialDelaySeconds int32; timeoutSeconds int32; periodSeconds int32;
  successThreshold int32; failureThreshold int32;
  terminationGracePeriodSeconds *int64
HTTPGetAction!: path string; port intstr=; host string; scheme string;
  httpHeaders []raw
Toleration!: key string; operator string; value string; effect string;
  tolerationSeconds *int64
PodStatus!: phase string; conditions []PodCondition; message string;
  reason string; nominatedNodeName string; hostIP string; hostIPs []HostIP;
  podIP string; podIPs []PodIP; startTime *time;
  initContainerStatuses []ContainerStatus;
  containerStatuses []ContainerStatus; qosClass string;
  ephemeralContainerStatuses []ContainerStatus; resize string;
  resourceClaimStatuses []raw
PodCondition!: type string=; status string=; lastProbeTime time;
  lastTransitionTime time; reason string; message string
HostIP!: ip string=
PodIP!: ip string=
ContainerStatus!: name string=; state ContainerState;
  lastState ContainerState; ready bool=; restartCount int32=; image string=;
  imageID string=; containerID string; started *bool;
  allocatedResources map[quantity]; resources *raw; volumeMounts []raw;
  user *raw; allocatedResourcesStatus []raw
ContainerState!: waiting *ContainerStateWaiting;
  running *ContainerStateRunning; terminated *ContainerStateTerminated
ContainerStateWaiting!: reason string; message string
ContainerStateRunning!: startedAt time
ContainerStateTerminated!: exitCode int32=; signal int32; reason string;
  message string; startedAt time; finishedAt time; containerID string

TokenRequest!: kind string; apiVersion string; metadata ObjectMeta;
  spec TokenRequestSpec; status TokenRequestStatus
TokenRequestSpec!: audiences []string=; expirationSeconds *int64;
  boundObjectRef *BoundObjectReference
BoundObjectReference!: kind string; apiVersion string; name string;
  uid string
TokenRequestStatus!: token string=; expirationTimestamp time

DeleteOptions!: kind string; apiVersion string; gracePeriodSeconds *int64;
  preconditions *Preconditions; orphanDependents *bool;
  propagationPolicy *string; dryRun []string;
  ignoreStoreReadErrorWithClusterBreakingPotential *bool
Preconditions!: uid *string; resourceVersion *string

Service!: kind string; apiVersion string; metadata ObjectMeta;
  spec ServiceSpec; status ServiceStatus
ServiceSpec:
ServiceStatus:
CSINode!: kind string; apiVersion string; metadata ObjectMeta;
  spec CSINodeSpec
CSINodeSpec!: drivers []raw=
CSIDriver!: kind string; apiVersion string; metadata ObjectMeta;
  spec CSIDriverSpec
CSIDriverSpec:
RuntimeClass!: kind string; apiVersion string; metadata ObjectMeta;
  handler string=; overhead *raw; scheduling *raw

CertificateSigningRequest!: kind string; apiVersion string;
  metadata ObjectMeta; spec CertificateSigningRequestSpec;
  status CertificateSigningRequestStatus
CertificateSigningRequestSpec!: request bytes=; signerName string=;
  expirationSeconds *int32; usages []string; username string; uid string;
  groups []string; extra map[raw]
CertificateSigningRequestStatus!:
  conditions []CertificateSigningRequestCondition; certificate bytes
CertificateSigningRequestCondition!: type string=; status string=;
  reason string; message string; lastUpdateTime time;
  lastTransitionTime time
)";

} // namespace cafelet::apiserver::detail
