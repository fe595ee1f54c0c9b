// Decoding of v1.Pod: spec (minus containers and volumes) and status.
#include "messages/k8s/decode_pod.hpp"

#include "messages/k8s/decode.hpp"
#include "messages/k8s/decode_objects.hpp"

namespace cafelet::k8s::detail {

error_code read(reader& r, od::value v, host_alias& out) {
  return read_object(r, v, [&](std::string_view key, od::value val) {
    if (key == "ip")
      return read(r, val, out.ip);
    if (key == "hostnames")
      return read(r, val, out.hostnames);
    return simdjson::SUCCESS;
  });
}

error_code read(reader& r, od::value v, dns_config_option& out) {
  return read_object(r, v, [&](std::string_view key, od::value val) {
    if (key == "name")
      return read(r, val, out.name);
    if (key == "value")
      return read(r, val, out.value);
    return simdjson::SUCCESS;
  });
}

error_code read(reader& r, od::value v, pod_dns_config& out) {
  return read_object(r, v, [&](std::string_view key, od::value val) {
    if (key == "nameservers")
      return read(r, val, out.nameservers);
    if (key == "searches")
      return read(r, val, out.searches);
    if (key == "options")
      return read(r, val, out.options);
    return simdjson::SUCCESS;
  });
}

error_code read(reader& r, od::value v, sysctl& out) {
  return read_object(r, v, [&](std::string_view key, od::value val) {
    if (key == "name")
      return read(r, val, out.name);
    if (key == "value")
      return read(r, val, out.value);
    return simdjson::SUCCESS;
  });
}

error_code read(reader& r, od::value v, pod_security_context& out) {
  return read_object(r, v, [&](std::string_view key, od::value val) {
    if (key == "runAsUser")
      return read(r, val, out.run_as_user);
    if (key == "runAsGroup")
      return read(r, val, out.run_as_group);
    if (key == "runAsNonRoot")
      return read(r, val, out.run_as_non_root);
    if (key == "supplementalGroups")
      return read(r, val, out.supplemental_groups);
    if (key == "fsGroup")
      return read(r, val, out.fs_group);
    if (key == "fsGroupChangePolicy")
      return read(r, val, out.fs_group_change_policy);
    if (key == "sysctls")
      return read(r, val, out.sysctls);
    if (key == "seccompProfile")
      return read(r, val, out.seccomp_profile);
    return simdjson::SUCCESS;
  });
}

error_code read(reader& r, od::value v, toleration& out) {
  return read_object(r, v, [&](std::string_view key, od::value val) {
    if (key == "key")
      return read(r, val, out.key);
    if (key == "operator")
      return read(r, val, out.operator_);
    if (key == "value")
      return read(r, val, out.value);
    if (key == "effect")
      return read(r, val, out.effect);
    if (key == "tolerationSeconds")
      return read(r, val, out.toleration_seconds);
    return simdjson::SUCCESS;
  });
}

error_code read(reader& r, od::value v, pod_spec& out) {
  return read_object(r, v, [&](std::string_view key, od::value val) {
    if (key == "volumes")
      return read(r, val, out.volumes);
    if (key == "initContainers")
      return read(r, val, out.init_containers);
    if (key == "containers")
      return read(r, val, out.containers);
    if (key == "restartPolicy")
      return read(r, val, out.restart_policy);
    if (key == "terminationGracePeriodSeconds")
      return read(r, val, out.termination_grace_period_seconds);
    if (key == "activeDeadlineSeconds")
      return read(r, val, out.active_deadline_seconds);
    if (key == "dnsPolicy")
      return read(r, val, out.dns_policy);
    if (key == "nodeSelector")
      return read(r, val, out.node_selector);
    if (key == "serviceAccountName")
      return read(r, val, out.service_account_name);
    if (key == "automountServiceAccountToken")
      return read(r, val, out.automount_service_account_token);
    if (key == "nodeName")
      return read(r, val, out.node_name);
    if (key == "hostNetwork")
      return read(r, val, out.host_network);
    if (key == "hostPID")
      return read(r, val, out.host_pid);
    if (key == "hostIPC")
      return read(r, val, out.host_ipc);
    if (key == "shareProcessNamespace")
      return read(r, val, out.share_process_namespace);
    if (key == "securityContext")
      return read(r, val, out.security_context);
    if (key == "imagePullSecrets")
      return read_keyed_strings(r, val, "name", out.image_pull_secrets);
    if (key == "hostname")
      return read(r, val, out.hostname);
    if (key == "subdomain")
      return read(r, val, out.subdomain);
    if (key == "hostAliases")
      return read(r, val, out.host_aliases);
    if (key == "dnsConfig")
      return read(r, val, out.dns_config);
    if (key == "setHostnameAsFQDN")
      return read(r, val, out.set_hostname_as_fqdn);
    if (key == "schedulerName")
      return read(r, val, out.scheduler_name);
    if (key == "tolerations")
      return read(r, val, out.tolerations);
    if (key == "priorityClassName")
      return read(r, val, out.priority_class_name);
    if (key == "priority")
      return read(r, val, out.priority);
    if (key == "runtimeClassName")
      return read(r, val, out.runtime_class_name);
    if (key == "enableServiceLinks")
      return read(r, val, out.enable_service_links);
    return simdjson::SUCCESS;
  });
}

error_code read(reader& r, od::value v, pod_condition& out) {
  return read_object(r, v, [&](std::string_view key, od::value val) {
    if (key == "type")
      return read(r, val, out.type);
    if (key == "status")
      return read(r, val, out.status);
    if (key == "lastProbeTime")
      return read(r, val, out.last_probe_time);
    if (key == "lastTransitionTime")
      return read(r, val, out.last_transition_time);
    if (key == "reason")
      return read(r, val, out.reason);
    if (key == "message")
      return read(r, val, out.message);
    return simdjson::SUCCESS;
  });
}

error_code read(reader& r, od::value v, container_state_waiting& out) {
  return read_object(r, v, [&](std::string_view key, od::value val) {
    if (key == "reason")
      return read(r, val, out.reason);
    if (key == "message")
      return read(r, val, out.message);
    return simdjson::SUCCESS;
  });
}

error_code read(reader& r, od::value v, container_state_running& out) {
  return read_object(r, v, [&](std::string_view key, od::value val) {
    if (key == "startedAt")
      return read(r, val, out.started_at);
    return simdjson::SUCCESS;
  });
}

error_code read(reader& r, od::value v, container_state_terminated& out) {
  return read_object(r, v, [&](std::string_view key, od::value val) {
    if (key == "exitCode")
      return read(r, val, out.exit_code);
    if (key == "signal")
      return read(r, val, out.signal);
    if (key == "reason")
      return read(r, val, out.reason);
    if (key == "message")
      return read(r, val, out.message);
    if (key == "startedAt")
      return read(r, val, out.started_at);
    if (key == "finishedAt")
      return read(r, val, out.finished_at);
    if (key == "containerID")
      return read(r, val, out.container_id);
    return simdjson::SUCCESS;
  });
}

error_code read(reader& r, od::value v, container_state& out) {
  return read_object(r, v, [&](std::string_view key, od::value val) {
    if (key == "waiting")
      return read(r, val, out.waiting);
    if (key == "running")
      return read(r, val, out.running);
    if (key == "terminated")
      return read(r, val, out.terminated);
    return simdjson::SUCCESS;
  });
}

error_code read(reader& r, od::value v, container_status& out) {
  return read_object(r, v, [&](std::string_view key, od::value val) {
    if (key == "name")
      return read(r, val, out.name);
    if (key == "state")
      return read(r, val, out.state);
    if (key == "lastState")
      return read(r, val, out.last_state);
    if (key == "ready")
      return read(r, val, out.ready);
    if (key == "restartCount")
      return read(r, val, out.restart_count);
    if (key == "image")
      return read(r, val, out.image);
    if (key == "imageID")
      return read(r, val, out.image_id);
    if (key == "containerID")
      return read(r, val, out.container_id);
    if (key == "started")
      return read(r, val, out.started);
    return simdjson::SUCCESS;
  });
}

error_code read(reader& r, od::value v, pod_status& out) {
  return read_object(r, v, [&](std::string_view key, od::value val) {
    if (key == "phase")
      return read(r, val, out.phase);
    if (key == "conditions")
      return read(r, val, out.conditions);
    if (key == "message")
      return read(r, val, out.message);
    if (key == "reason")
      return read(r, val, out.reason);
    if (key == "hostIP")
      return read(r, val, out.host_ip);
    if (key == "hostIPs")
      return read_keyed_strings(r, val, "ip", out.host_ips);
    if (key == "podIP")
      return read(r, val, out.pod_ip);
    if (key == "podIPs")
      return read_keyed_strings(r, val, "ip", out.pod_ips);
    if (key == "startTime")
      return read(r, val, out.start_time);
    if (key == "initContainerStatuses")
      return read(r, val, out.init_container_statuses);
    if (key == "containerStatuses")
      return read(r, val, out.container_statuses);
    if (key == "qosClass")
      return read(r, val, out.qos_class);
    return simdjson::SUCCESS;
  });
}

error_code read(reader& r, od::value v, pod& out) {
  return read_spec_status(r, v, out);
}

} // namespace cafelet::k8s::detail

namespace cafelet::k8s {

caf::expected<pod_ptr> decode_pod(std::string_view json) {
  return detail::decode_object<pod>(json);
}

} // namespace cafelet::k8s
