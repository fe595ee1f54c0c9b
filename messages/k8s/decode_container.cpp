// Decoding of v1.Container and everything it refers to.
#include "messages/k8s/decode_pod.hpp"

namespace cafelet::k8s::detail {

error_code read(reader& r, od::value v, object_field_selector& out) {
  return read_object(r, v, [&](std::string_view key, od::value val) {
    if (key == "apiVersion")
      return read(r, val, out.api_version);
    if (key == "fieldPath")
      return read(r, val, out.field_path);
    return simdjson::SUCCESS;
  });
}

error_code read(reader& r, od::value v, resource_field_selector& out) {
  return read_object(r, v, [&](std::string_view key, od::value val) {
    if (key == "containerName")
      return read(r, val, out.container_name);
    if (key == "resource")
      return read(r, val, out.resource);
    if (key == "divisor")
      return read(r, val, out.divisor);
    return simdjson::SUCCESS;
  });
}

error_code read(reader& r, od::value v, key_selector& out) {
  return read_object(r, v, [&](std::string_view key, od::value val) {
    if (key == "name")
      return read(r, val, out.name);
    if (key == "key")
      return read(r, val, out.key);
    if (key == "optional")
      return read(r, val, out.optional);
    return simdjson::SUCCESS;
  });
}

error_code read(reader& r, od::value v, env_var_source& out) {
  return read_object(r, v, [&](std::string_view key, od::value val) {
    if (key == "fieldRef")
      return read(r, val, out.field_ref);
    if (key == "resourceFieldRef")
      return read(r, val, out.resource_field_ref);
    if (key == "configMapKeyRef")
      return read(r, val, out.config_map_key_ref);
    if (key == "secretKeyRef")
      return read(r, val, out.secret_key_ref);
    return simdjson::SUCCESS;
  });
}

error_code read(reader& r, od::value v, env_var& out) {
  return read_object(r, v, [&](std::string_view key, od::value val) {
    if (key == "name")
      return read(r, val, out.name);
    if (key == "value")
      return read(r, val, out.value);
    if (key == "valueFrom")
      return read(r, val, out.value_from);
    return simdjson::SUCCESS;
  });
}

error_code read(reader& r, od::value v, env_source_ref& out) {
  return read_object(r, v, [&](std::string_view key, od::value val) {
    if (key == "name")
      return read(r, val, out.name);
    if (key == "optional")
      return read(r, val, out.optional);
    return simdjson::SUCCESS;
  });
}

error_code read(reader& r, od::value v, env_from_source& out) {
  return read_object(r, v, [&](std::string_view key, od::value val) {
    if (key == "prefix")
      return read(r, val, out.prefix);
    if (key == "configMapRef")
      return read(r, val, out.config_map_ref);
    if (key == "secretRef")
      return read(r, val, out.secret_ref);
    return simdjson::SUCCESS;
  });
}

error_code read(reader& r, od::value v, container_port& out) {
  return read_object(r, v, [&](std::string_view key, od::value val) {
    if (key == "name")
      return read(r, val, out.name);
    if (key == "containerPort")
      return read(r, val, out.container_port);
    if (key == "hostPort")
      return read(r, val, out.host_port);
    if (key == "protocol")
      return read(r, val, out.protocol);
    if (key == "hostIP")
      return read(r, val, out.host_ip);
    return simdjson::SUCCESS;
  });
}

error_code read(reader& r, od::value v, resource_requirements& out) {
  return read_object(r, v, [&](std::string_view key, od::value val) {
    if (key == "limits")
      return read(r, val, out.limits);
    if (key == "requests")
      return read(r, val, out.requests);
    return simdjson::SUCCESS;
  });
}

error_code read(reader& r, od::value v, volume_mount& out) {
  return read_object(r, v, [&](std::string_view key, od::value val) {
    if (key == "name")
      return read(r, val, out.name);
    if (key == "mountPath")
      return read(r, val, out.mount_path);
    if (key == "subPath")
      return read(r, val, out.sub_path);
    if (key == "subPathExpr")
      return read(r, val, out.sub_path_expr);
    if (key == "readOnly")
      return read(r, val, out.read_only);
    if (key == "mountPropagation")
      return read(r, val, out.mount_propagation);
    if (key == "recursiveReadOnly")
      return read(r, val, out.recursive_read_only);
    return simdjson::SUCCESS;
  });
}

error_code read(reader& r, od::value v, exec_action& out) {
  return read_object(r, v, [&](std::string_view key, od::value val) {
    if (key == "command")
      return read(r, val, out.command);
    return simdjson::SUCCESS;
  });
}

error_code read(reader& r, od::value v, http_header& out) {
  return read_object(r, v, [&](std::string_view key, od::value val) {
    if (key == "name")
      return read(r, val, out.name);
    if (key == "value")
      return read(r, val, out.value);
    return simdjson::SUCCESS;
  });
}

error_code read(reader& r, od::value v, http_get_action& out) {
  return read_object(r, v, [&](std::string_view key, od::value val) {
    if (key == "path")
      return read(r, val, out.path);
    if (key == "port")
      return read(r, val, out.port);
    if (key == "host")
      return read(r, val, out.host);
    if (key == "scheme")
      return read(r, val, out.scheme);
    if (key == "httpHeaders")
      return read(r, val, out.http_headers);
    return simdjson::SUCCESS;
  });
}

error_code read(reader& r, od::value v, tcp_socket_action& out) {
  return read_object(r, v, [&](std::string_view key, od::value val) {
    if (key == "port")
      return read(r, val, out.port);
    if (key == "host")
      return read(r, val, out.host);
    return simdjson::SUCCESS;
  });
}

error_code read(reader& r, od::value v, grpc_action& out) {
  return read_object(r, v, [&](std::string_view key, od::value val) {
    if (key == "port")
      return read(r, val, out.port);
    if (key == "service")
      return read(r, val, out.service);
    return simdjson::SUCCESS;
  });
}

error_code read(reader& r, od::value v, probe& out) {
  return read_object(r, v, [&](std::string_view key, od::value val) {
    if (key == "exec")
      return read(r, val, out.exec);
    if (key == "httpGet")
      return read(r, val, out.http_get);
    if (key == "tcpSocket")
      return read(r, val, out.tcp_socket);
    if (key == "grpc")
      return read(r, val, out.grpc);
    if (key == "initialDelaySeconds")
      return read(r, val, out.initial_delay_seconds);
    if (key == "timeoutSeconds")
      return read(r, val, out.timeout_seconds);
    if (key == "periodSeconds")
      return read(r, val, out.period_seconds);
    if (key == "successThreshold")
      return read(r, val, out.success_threshold);
    if (key == "failureThreshold")
      return read(r, val, out.failure_threshold);
    if (key == "terminationGracePeriodSeconds")
      return read(r, val, out.termination_grace_period_seconds);
    return simdjson::SUCCESS;
  });
}

error_code read(reader& r, od::value v, lifecycle_handler& out) {
  return read_object(r, v, [&](std::string_view key, od::value val) {
    if (key == "exec")
      return read(r, val, out.exec);
    if (key == "httpGet")
      return read(r, val, out.http_get);
    if (key == "tcpSocket")
      return read(r, val, out.tcp_socket);
    if (key == "sleep")
      return read_object(r, val, [&](std::string_view k, od::value s) {
        if (k == "seconds")
          return read(r, s, out.sleep_seconds);
        return simdjson::SUCCESS;
      });
    return simdjson::SUCCESS;
  });
}

error_code read(reader& r, od::value v, lifecycle& out) {
  return read_object(r, v, [&](std::string_view key, od::value val) {
    if (key == "postStart")
      return read(r, val, out.post_start);
    if (key == "preStop")
      return read(r, val, out.pre_stop);
    return simdjson::SUCCESS;
  });
}

error_code read(reader& r, od::value v, capabilities& out) {
  return read_object(r, v, [&](std::string_view key, od::value val) {
    if (key == "add")
      return read(r, val, out.add);
    if (key == "drop")
      return read(r, val, out.drop);
    return simdjson::SUCCESS;
  });
}

error_code read(reader& r, od::value v, seccomp_profile& out) {
  return read_object(r, v, [&](std::string_view key, od::value val) {
    if (key == "type")
      return read(r, val, out.type);
    if (key == "localhostProfile")
      return read(r, val, out.localhost_profile);
    return simdjson::SUCCESS;
  });
}

error_code read(reader& r, od::value v, security_context& out) {
  return read_object(r, v, [&](std::string_view key, od::value val) {
    if (key == "privileged")
      return read(r, val, out.privileged);
    if (key == "runAsUser")
      return read(r, val, out.run_as_user);
    if (key == "runAsGroup")
      return read(r, val, out.run_as_group);
    if (key == "runAsNonRoot")
      return read(r, val, out.run_as_non_root);
    if (key == "readOnlyRootFilesystem")
      return read(r, val, out.read_only_root_filesystem);
    if (key == "allowPrivilegeEscalation")
      return read(r, val, out.allow_privilege_escalation);
    if (key == "capabilities")
      return read(r, val, out.capabilities);
    if (key == "seccompProfile")
      return read(r, val, out.seccomp_profile);
    if (key == "procMount")
      return read(r, val, out.proc_mount);
    return simdjson::SUCCESS;
  });
}

error_code read(reader& r, od::value v, container& out) {
  return read_object(r, v, [&](std::string_view key, od::value val) {
    if (key == "name")
      return read(r, val, out.name);
    if (key == "image")
      return read(r, val, out.image);
    if (key == "imagePullPolicy")
      return read(r, val, out.image_pull_policy);
    if (key == "command")
      return read(r, val, out.command);
    if (key == "args")
      return read(r, val, out.args);
    if (key == "workingDir")
      return read(r, val, out.working_dir);
    if (key == "ports")
      return read(r, val, out.ports);
    if (key == "envFrom")
      return read(r, val, out.env_from);
    if (key == "env")
      return read(r, val, out.env);
    if (key == "resources")
      return read(r, val, out.resources);
    if (key == "volumeMounts")
      return read(r, val, out.volume_mounts);
    if (key == "livenessProbe")
      return read(r, val, out.liveness_probe);
    if (key == "readinessProbe")
      return read(r, val, out.readiness_probe);
    if (key == "startupProbe")
      return read(r, val, out.startup_probe);
    if (key == "lifecycle")
      return read(r, val, out.lifecycle);
    if (key == "terminationMessagePath")
      return read(r, val, out.termination_message_path);
    if (key == "terminationMessagePolicy")
      return read(r, val, out.termination_message_policy);
    if (key == "securityContext")
      return read(r, val, out.security_context);
    if (key == "stdin")
      return read(r, val, out.stdin_);
    if (key == "stdinOnce")
      return read(r, val, out.stdin_once);
    if (key == "tty")
      return read(r, val, out.tty);
    if (key == "restartPolicy")
      return read(r, val, out.restart_policy);
    return simdjson::SUCCESS;
  });
}

} // namespace cafelet::k8s::detail
