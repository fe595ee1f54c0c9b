#include "messages/k8s/pod_schema.hpp"

#include <algorithm>
#include <deque>
#include <map>
#include <string>

namespace cafelet::k8s {

namespace {

// The core/v1 Pod type tree (Kubernetes 1.32), one type per entry:
//
//   Type: field field:Type field:[Type] field:[] field:* +Type
//
// `field` is a scalar, `field:Type` an object, `field:[Type]` a list of
// objects, `field:[]` a list of scalars, `field:*` a map with arbitrary keys
// and free-form values (labels, quantities, raw JSON objects) and `+Type`
// embeds the fields of Type (Go's inline structs). The first entry is the
// root.
constexpr std::string_view table = R"(
Pod: apiVersion kind metadata:ObjectMeta spec:PodSpec status:PodStatus

ObjectMeta: name generateName namespace selfLink uid resourceVersion
  generation creationTimestamp deletionTimestamp deletionGracePeriodSeconds
  labels:* annotations:* ownerReferences:[OwnerReference] finalizers:[]
  managedFields:[ManagedFieldsEntry]
OwnerReference: apiVersion kind name uid controller blockOwnerDeletion
ManagedFieldsEntry: manager operation apiVersion time fieldsType fieldsV1:*
  subresource

PodSpec: volumes:[Volume] initContainers:[Container] containers:[Container]
  ephemeralContainers:[EphemeralContainer] restartPolicy
  terminationGracePeriodSeconds activeDeadlineSeconds dnsPolicy
  nodeSelector:* serviceAccountName serviceAccount
  automountServiceAccountToken nodeName hostNetwork hostPID hostIPC
  shareProcessNamespace securityContext:PodSecurityContext
  imagePullSecrets:[LocalObjectReference] hostname subdomain
  affinity:Affinity schedulerName tolerations:[Toleration]
  hostAliases:[HostAlias] priorityClassName priority dnsConfig:PodDNSConfig
  readinessGates:[PodReadinessGate] runtimeClassName enableServiceLinks
  preemptionPolicy overhead:*
  topologySpreadConstraints:[TopologySpreadConstraint] setHostnameAsFQDN
  os:PodOS hostUsers schedulingGates:[PodSchedulingGate]
  resourceClaims:[PodResourceClaim] resources:ResourceRequirements

Container: name image command:[] args:[] workingDir ports:[ContainerPort]
  envFrom:[EnvFromSource] env:[EnvVar] resources:ResourceRequirements
  resizePolicy:[ContainerResizePolicy] restartPolicy
  volumeMounts:[VolumeMount] volumeDevices:[VolumeDevice]
  livenessProbe:Probe readinessProbe:Probe startupProbe:Probe
  lifecycle:Lifecycle terminationMessagePath terminationMessagePolicy
  imagePullPolicy securityContext:SecurityContext stdin stdinOnce tty
EphemeralContainer: +Container targetContainerName
ContainerPort: name hostPort containerPort protocol hostIP
EnvFromSource: prefix configMapRef:OptionalRef secretRef:OptionalRef
OptionalRef: name optional
EnvVar: name value valueFrom:EnvVarSource
EnvVarSource: fieldRef:ObjectFieldSelector
  resourceFieldRef:ResourceFieldSelector configMapKeyRef:KeySelector
  secretKeyRef:KeySelector
ObjectFieldSelector: apiVersion fieldPath
ResourceFieldSelector: containerName resource divisor
KeySelector: name key optional
ResourceRequirements: limits:* requests:* claims:[ResourceClaim]
ResourceClaim: name request
ContainerResizePolicy: resourceName restartPolicy
VolumeMount: name readOnly recursiveReadOnly mountPath subPath
  mountPropagation subPathExpr
VolumeDevice: name devicePath
Probe: +ProbeHandler initialDelaySeconds timeoutSeconds periodSeconds
  successThreshold failureThreshold terminationGracePeriodSeconds
ProbeHandler: exec:ExecAction httpGet:HTTPGetAction
  tcpSocket:TCPSocketAction grpc:GRPCAction
ExecAction: command:[]
HTTPGetAction: path port host scheme httpHeaders:[HTTPHeader]
HTTPHeader: name value
TCPSocketAction: port host
GRPCAction: port service
Lifecycle: postStart:LifecycleHandler preStop:LifecycleHandler
LifecycleHandler: exec:ExecAction httpGet:HTTPGetAction
  tcpSocket:TCPSocketAction sleep:SleepAction
SleepAction: seconds
SecurityContext: capabilities:Capabilities privileged
  seLinuxOptions:SELinuxOptions windowsOptions:WindowsSecurityContextOptions
  runAsUser runAsGroup runAsNonRoot readOnlyRootFilesystem
  allowPrivilegeEscalation procMount seccompProfile:SeccompProfile
  appArmorProfile:AppArmorProfile
Capabilities: add:[] drop:[]
SELinuxOptions: user role type level
WindowsSecurityContextOptions: gmsaCredentialSpecName gmsaCredentialSpec
  runAsUserName hostProcess
SeccompProfile: type localhostProfile
AppArmorProfile: type localhostProfile

PodSecurityContext: seLinuxOptions:SELinuxOptions
  windowsOptions:WindowsSecurityContextOptions runAsUser runAsGroup
  runAsNonRoot supplementalGroups:[] supplementalGroupsPolicy fsGroup
  sysctls:[Sysctl] fsGroupChangePolicy seccompProfile:SeccompProfile
  appArmorProfile:AppArmorProfile seLinuxChangePolicy
Sysctl: name value
LocalObjectReference: name
Affinity: nodeAffinity:NodeAffinity podAffinity:PodAffinity
  podAntiAffinity:PodAffinity
NodeAffinity: requiredDuringSchedulingIgnoredDuringExecution:NodeSelector
  preferredDuringSchedulingIgnoredDuringExecution:[PreferredSchedulingTerm]
NodeSelector: nodeSelectorTerms:[NodeSelectorTerm]
NodeSelectorTerm: matchExpressions:[Requirement] matchFields:[Requirement]
Requirement: key operator values:[]
PreferredSchedulingTerm: weight preference:NodeSelectorTerm
PodAffinity: requiredDuringSchedulingIgnoredDuringExecution:[PodAffinityTerm]
  preferredDuringSchedulingIgnoredDuringExecution:[WeightedPodAffinityTerm]
PodAffinityTerm: labelSelector:LabelSelector namespaces:[] topologyKey
  namespaceSelector:LabelSelector matchLabelKeys:[] mismatchLabelKeys:[]
WeightedPodAffinityTerm: weight podAffinityTerm:PodAffinityTerm
LabelSelector: matchLabels:* matchExpressions:[Requirement]
Toleration: key operator value effect tolerationSeconds
HostAlias: ip hostnames:[]
PodDNSConfig: nameservers:[] searches:[] options:[PodDNSConfigOption]
PodDNSConfigOption: name value
PodReadinessGate: conditionType
TopologySpreadConstraint: maxSkew topologyKey whenUnsatisfiable
  labelSelector:LabelSelector minDomains nodeAffinityPolicy nodeTaintsPolicy
  matchLabelKeys:[]
PodOS: name
PodSchedulingGate: name
PodResourceClaim: name resourceClaimName resourceClaimTemplateName

Volume: name +VolumeSource
VolumeSource: hostPath:HostPathVolumeSource emptyDir:EmptyDirVolumeSource
  gcePersistentDisk:GCEPersistentDiskVolumeSource
  awsElasticBlockStore:AWSElasticBlockStoreVolumeSource
  gitRepo:GitRepoVolumeSource secret:SecretVolumeSource nfs:NFSVolumeSource
  iscsi:ISCSIVolumeSource glusterfs:GlusterfsVolumeSource
  persistentVolumeClaim:PersistentVolumeClaimVolumeSource
  rbd:RBDVolumeSource flexVolume:FlexVolumeSource cinder:CinderVolumeSource
  cephfs:CephFSVolumeSource flocker:FlockerVolumeSource
  downwardAPI:DownwardAPIVolumeSource fc:FCVolumeSource
  azureFile:AzureFileVolumeSource configMap:ConfigMapVolumeSource
  vsphereVolume:VsphereVirtualDiskVolumeSource quobyte:QuobyteVolumeSource
  azureDisk:AzureDiskVolumeSource
  photonPersistentDisk:PhotonPersistentDiskVolumeSource
  projected:ProjectedVolumeSource portworxVolume:PortworxVolumeSource
  scaleIO:ScaleIOVolumeSource storageos:StorageOSVolumeSource
  csi:CSIVolumeSource ephemeral:EphemeralVolumeSource
  image:ImageVolumeSource
HostPathVolumeSource: path type
EmptyDirVolumeSource: medium sizeLimit
GCEPersistentDiskVolumeSource: pdName fsType partition readOnly
AWSElasticBlockStoreVolumeSource: volumeID fsType partition readOnly
GitRepoVolumeSource: repository revision directory
SecretVolumeSource: secretName items:[KeyToPath] defaultMode optional
KeyToPath: key path mode
NFSVolumeSource: server path readOnly
ISCSIVolumeSource: targetPortal iqn lun iscsiInterface fsType readOnly
  portals:[] chapAuthDiscovery chapAuthSession
  secretRef:LocalObjectReference initiatorName
GlusterfsVolumeSource: endpoints path readOnly
PersistentVolumeClaimVolumeSource: claimName readOnly
RBDVolumeSource: monitors:[] image fsType pool user keyring
  secretRef:LocalObjectReference readOnly
FlexVolumeSource: driver fsType secretRef:LocalObjectReference readOnly
  options:*
CinderVolumeSource: volumeID fsType readOnly secretRef:LocalObjectReference
CephFSVolumeSource: monitors:[] path user secretFile
  secretRef:LocalObjectReference readOnly
FlockerVolumeSource: datasetName datasetUUID
DownwardAPIVolumeSource: items:[DownwardAPIVolumeFile] defaultMode
DownwardAPIVolumeFile: path fieldRef:ObjectFieldSelector
  resourceFieldRef:ResourceFieldSelector mode
FCVolumeSource: targetWWNs:[] lun fsType readOnly wwids:[]
AzureFileVolumeSource: secretName shareName readOnly
ConfigMapVolumeSource: name items:[KeyToPath] defaultMode optional
VsphereVirtualDiskVolumeSource: volumePath fsType storagePolicyName
  storagePolicyID
QuobyteVolumeSource: registry volume readOnly user group tenant
AzureDiskVolumeSource: diskName diskURI cachingMode fsType readOnly kind
PhotonPersistentDiskVolumeSource: pdID fsType
ProjectedVolumeSource: sources:[VolumeProjection] defaultMode
VolumeProjection: secret:KeyProjection downwardAPI:DownwardAPIProjection
  configMap:KeyProjection serviceAccountToken:ServiceAccountTokenProjection
  clusterTrustBundle:ClusterTrustBundleProjection
KeyProjection: name items:[KeyToPath] optional
DownwardAPIProjection: items:[DownwardAPIVolumeFile]
ServiceAccountTokenProjection: audience expirationSeconds path
ClusterTrustBundleProjection: name signerName labelSelector:LabelSelector
  optional path
PortworxVolumeSource: volumeID fsType readOnly
ScaleIOVolumeSource: gateway system secretRef:LocalObjectReference
  sslEnabled protectionDomain storagePool storageMode volumeName fsType
  readOnly
StorageOSVolumeSource: volumeName volumeNamespace fsType readOnly
  secretRef:LocalObjectReference
CSIVolumeSource: driver readOnly fsType volumeAttributes:*
  nodePublishSecretRef:LocalObjectReference
EphemeralVolumeSource: volumeClaimTemplate:PersistentVolumeClaimTemplate
PersistentVolumeClaimTemplate: metadata:ObjectMeta
  spec:PersistentVolumeClaimSpec
PersistentVolumeClaimSpec: accessModes:[] selector:LabelSelector
  resources:VolumeResourceRequirements volumeName storageClassName
  volumeMode dataSource:TypedLocalObjectReference
  dataSourceRef:TypedObjectReference volumeAttributesClassName
VolumeResourceRequirements: limits:* requests:*
TypedLocalObjectReference: apiGroup kind name
TypedObjectReference: apiGroup kind name namespace
ImageVolumeSource: reference pullPolicy

PodStatus: phase conditions:[PodCondition] message reason nominatedNodeName
  hostIP hostIPs:[IPEntry] podIP podIPs:[IPEntry] startTime
  initContainerStatuses:[ContainerStatus] containerStatuses:[ContainerStatus]
  qosClass ephemeralContainerStatuses:[ContainerStatus] resize
  resourceClaimStatuses:[PodResourceClaimStatus]
PodCondition: type status lastProbeTime lastTransitionTime reason message
IPEntry: ip
PodResourceClaimStatus: name resourceClaimName
ContainerStatus: name state:ContainerState lastState:ContainerState ready
  restartCount image imageID containerID started allocatedResources:*
  resources:ResourceRequirements volumeMounts:[VolumeMountStatus]
  user:ContainerUser allocatedResourcesStatus:[ResourceStatus]
ContainerState: waiting:ContainerStateWaiting running:ContainerStateRunning
  terminated:ContainerStateTerminated
ContainerStateWaiting: reason message
ContainerStateRunning: startedAt
ContainerStateTerminated: exitCode signal reason message startedAt
  finishedAt containerID
VolumeMountStatus: name mountPath readOnly recursiveReadOnly
ContainerUser: linux:LinuxContainerUser
LinuxContainerUser: uid gid supplementalGroups:[]
ResourceStatus: name resources:[ResourceHealth]
ResourceHealth: resourceID health
)";

/// The parsed table: nodes at stable addresses.
class schema_table {
public:
  schema_table() {
    scalar_.kind = schema_node::shape::scalar;
    scalar_.name = "scalar";
    any_.kind = schema_node::shape::any;
    any_.name = "any";
    map_.kind = schema_node::shape::map;
    map_.name = "map";
    map_.elements = &any_;
    parse();
  }

  const schema_node* root() const noexcept {
    return root_;
  }

  std::string_view error() const noexcept {
    return error_;
  }

private:
  /// One `Type:` entry of the table before resolution.
  struct entry {
    schema_node* node;
    std::vector<std::string_view> tokens;
    std::vector<schema_node*> embeds;
    bool expanded = false;
    bool expanding = false;
  };

  static std::vector<std::string_view> split(std::string_view text) {
    std::vector<std::string_view> out;
    size_t i = 0;
    while (i < text.size()) {
      while (i < text.size() && (text[i] == ' ' || text[i] == '\n'))
        ++i;
      auto start = i;
      while (i < text.size() && text[i] != ' ' && text[i] != '\n')
        ++i;
      if (i > start)
        out.push_back(text.substr(start, i - start));
    }
    return out;
  }

  void fail(std::string msg) {
    if (error_.empty())
      error_ = std::move(msg);
  }

  schema_node* type(std::string_view name) {
    auto i = types_.find(name);
    if (i == types_.end()) {
      fail("unknown type " + std::string{name});
      return nullptr;
    }
    return i->second->node;
  }

  const schema_node* list_of(const schema_node* element) {
    auto& result = lists_[element];
    if (result == nullptr) {
      auto& name = names_.emplace_back("[]");
      name += element->name;
      result = &nodes_.emplace_back();
      result->kind = schema_node::shape::list;
      result->name = name;
      result->elements = element;
    }
    return result;
  }

  /// Resolves the type spec after the ':' of a field token.
  const schema_node* resolve(std::string_view spec) {
    if (spec.empty())
      return &scalar_;
    if (spec == "*")
      return &map_;
    if (spec == "[]")
      return list_of(&scalar_);
    if (spec.size() > 2 && spec.front() == '[' && spec.back() == ']') {
      auto* element = type(spec.substr(1, spec.size() - 2));
      return element ? list_of(element) : &any_;
    }
    auto* result = type(spec);
    return result ? result : &any_;
  }

  void parse() {
    // Pass 1: one node per `Type:` token.
    std::vector<entry> entries;
    for (auto token : split(table)) {
      if (token.size() > 1 && token.back() == ':'
          && token.find(':') == token.size() - 1) {
        auto* node = &nodes_.emplace_back();
        node->kind = schema_node::shape::object;
        node->name = token.substr(0, token.size() - 1);
        entries.push_back(entry{node, {}, {}});
      } else if (!entries.empty()) {
        entries.back().tokens.push_back(token);
      }
    }
    for (auto& e : entries)
      if (!types_.emplace(e.node->name, &e).second)
        fail("duplicate type " + std::string{e.node->name});
    // Pass 2: the fields of each entry.
    for (auto& e : entries) {
      for (auto token : e.tokens) {
        if (token.front() == '+') {
          if (auto* embedded = type(token.substr(1)))
            e.embeds.push_back(embedded);
          continue;
        }
        auto colon = token.find(':');
        auto name = token.substr(0, colon);
        auto spec = colon == std::string_view::npos ? std::string_view{}
                                                    : token.substr(colon + 1);
        e.node->fields.emplace_back(name, resolve(spec));
      }
    }
    // Pass 3: embedded fields, then sort and check for duplicates.
    for (auto& e : entries)
      expand(e);
    for (auto& e : entries) {
      auto& fs = e.node->fields;
      std::sort(fs.begin(), fs.end(), [](const auto& x, const auto& y) {
        return x.first < y.first;
      });
      auto dup = std::adjacent_find(fs.begin(), fs.end(),
                                    [](const auto& x, const auto& y) {
                                      return x.first == y.first;
                                    });
      if (dup != fs.end())
        fail("duplicate field " + std::string{e.node->name} + "."
             + std::string{dup->first});
    }
    root_ = entries.empty() ? &any_ : entries.front().node;
    types_.clear(); // points into `entries`
  }

  void expand(entry& e) {
    if (e.expanded)
      return;
    if (e.expanding) {
      fail("embedding cycle at " + std::string{e.node->name});
      return;
    }
    e.expanding = true;
    for (auto* embedded : e.embeds) {
      auto& inner = *types_.at(embedded->name);
      expand(inner);
      e.node->fields.insert(e.node->fields.end(), inner.node->fields.begin(),
                            inner.node->fields.end());
    }
    e.expanding = false;
    e.expanded = true;
  }

  std::deque<schema_node> nodes_;
  std::deque<std::string> names_;
  std::map<std::string_view, entry*, std::less<>> types_;
  std::map<const schema_node*, schema_node*> lists_;
  schema_node scalar_;
  schema_node any_;
  schema_node map_;
  const schema_node* root_ = nullptr;
  std::string error_;
};

const schema_table& the_table() {
  static const schema_table instance;
  return instance;
}

} // namespace

const schema_node* schema_node::child(std::string_view key) const noexcept {
  if (kind == shape::any)
    return this;
  if (kind == shape::map)
    return elements;
  if (kind != shape::object)
    return nullptr;
  auto i = std::lower_bound(fields.begin(), fields.end(), key,
                            [](const field& f, std::string_view k) {
                              return f.first < k;
                            });
  return i != fields.end() && i->first == key ? i->second : nullptr;
}

const schema_node* schema_node::element() const noexcept {
  if (kind == shape::any)
    return this;
  return kind == shape::list ? elements : nullptr;
}

const schema_node* pod_schema() {
  return the_table().root();
}

std::string_view pod_schema_error() {
  return the_table().error();
}

} // namespace cafelet::k8s
