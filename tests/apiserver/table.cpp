// Server-side printing: meta.k8s.io/v1 Table responses for clients that
// ask for them (kubectl get), with the columns of the real printers for
// nodes, pods, namespaces, configmaps, secrets, service accounts and
// leases, and the default Name/Created At columns otherwise.

#include "tests/apiserver/server_impl.hpp"
#include "tests/apiserver/support.hpp"

namespace cafelet::apiserver {

namespace {

constexpr std::string_view name_description
  = "Name must be unique within a namespace. Is required when creating "
    "resources, although some resources may allow a client to request the "
    "generation of an appropriate name automatically. Name is primarily "
    "intended for creation idempotence and configuration definition. Cannot "
    "be updated. More info: "
    "https://kubernetes.io/docs/concepts/overview/working-with-objects/"
    "names#names";

constexpr std::string_view age_description
  = "CreationTimestamp is a timestamp representing the server time when this "
    "object was created. It is not guaranteed to be set in happens-before "
    "order across separate operations. Clients may not set this value. It is "
    "represented in RFC3339 form and is in UTC.\n\nPopulated by the system. "
    "Read-only. Null for lists. More info: "
    "https://git.k8s.io/community/contributors/devel/sig-architecture/"
    "api-conventions.md#metadata";

json::value column(std::string_view name, std::string_view type,
                   std::string_view format, std::string_view description,
                   int priority) {
  json::object c;
  c.emplace_back("name", name);
  c.emplace_back("type", type);
  c.emplace_back("format", format);
  c.emplace_back("description", description);
  c.emplace_back("priority", priority);
  return json::value{std::move(c)};
}

std::string str_at(const json::value& obj,
                   std::initializer_list<std::string_view> path) {
  const auto* v = obj.find_path(path);
  return v && v->is_string() ? v->as_string() : std::string{};
}

std::string age_of(const json::value& obj) {
  auto ts = parse_time(str_at(obj, {"metadata", "creationTimestamp"}));
  if (!ts)
    return "<unknown>";
  auto d = std::chrono::duration_cast<std::chrono::seconds>(
    std::chrono::system_clock::now() - *ts);
  return human_duration(d);
}

std::string or_none(std::string s) {
  return s.empty() ? "<none>" : s;
}

json::array node_columns() {
  return {
    column("Name", "string", "name", name_description, 0),
    column("Status", "string", "", "The status of the node", 0),
    column("Roles", "string", "", "The roles of the node", 0),
    column("Age", "string", "", age_description, 0),
    column("Version", "string", "", "Kubelet Version reported by the node.", 0),
    column("Internal-IP", "string", "", "List of internal IPs in the node.", 1),
    column("External-IP", "string", "", "List of external IPs in the node.", 1),
    column("OS-Image", "string", "",
           "OS Image reported by the node from /etc/os-release (e.g. Debian "
           "GNU/Linux 7 (wheezy)).",
           1),
    column("Kernel-Version", "string", "",
           "Kernel Version reported by the node from 'uname -r' (e.g. "
           "3.16.0-0.bpo.4-amd64).",
           1),
    column("Container-Runtime", "string", "",
           "Container runtime version reported by the node through runtime "
           "remote API (e.g. containerd://1.4.2).",
           1),
  };
}

json::array node_cells(const json::value& node) {
  std::string status = "Unknown";
  if (const auto* conds = node.find_path({"status", "conditions"});
      conds && conds->is_array())
    for (const auto& c : conds->as_array())
      if (c.get_string("type") == "Ready")
        status = c.get_string("status") == "True" ? "Ready" : "NotReady";
  if (const auto* u = node.find_path({"spec", "unschedulable"});
      u && u->as_bool())
    status += ",SchedulingDisabled";
  std::string roles;
  if (const auto* labels = node.find_path({"metadata", "labels"});
      labels && labels->is_object())
    for (const auto& [k, v] : labels->as_object()) {
      std::string role;
      if (k.starts_with("node-role.kubernetes.io/"))
        role = k.substr(24);
      else if (k == "kubernetes.io/role")
        role = v.as_string();
      if (!role.empty())
        roles += (roles.empty() ? "" : ",") + role;
    }
  std::string internal;
  std::string external;
  if (const auto* addrs = node.find_path({"status", "addresses"});
      addrs && addrs->is_array())
    for (const auto& a : addrs->as_array()) {
      if (a.get_string("type") == "InternalIP" && internal.empty())
        internal = a.get_string("address");
      if (a.get_string("type") == "ExternalIP" && external.empty())
        external = a.get_string("address");
    }
  return {
    json::value{str_at(node, {"metadata", "name"})},
    json::value{status},
    json::value{or_none(roles)},
    json::value{age_of(node)},
    json::value{str_at(node, {"status", "nodeInfo", "kubeletVersion"})},
    json::value{or_none(internal)},
    json::value{or_none(external)},
    json::value{or_none(str_at(node, {"status", "nodeInfo", "osImage"}))},
    json::value{or_none(str_at(node, {"status", "nodeInfo", "kernelVersion"}))},
    json::value{or_none(
      str_at(node, {"status", "nodeInfo", "containerRuntimeVersion"}))},
  };
}

json::array pod_columns() {
  return {
    column("Name", "string", "name", name_description, 0),
    column("Ready", "string", "",
           "The aggregate readiness state of this pod for accepting traffic.",
           0),
    column("Status", "string", "",
           "The aggregate status of the containers in this pod.", 0),
    column("Restarts", "string", "",
           "The number of times the containers in this pod have been "
           "restarted and when the last container in this pod has restarted.",
           0),
    column("Age", "string", "", age_description, 0),
    column("IP", "string", "", "IP address allocated to the pod. Routable at "
                               "least within the cluster. Empty if not yet "
                               "allocated.",
           1),
    column("Node", "string", "",
           "NodeName is a request to schedule this pod onto a specific node. "
           "If it is non-empty, the scheduler simply schedules this pod onto "
           "that node, assuming that it fits resource requirements.",
           1),
    column("Nominated Node", "string", "",
           "nominatedNodeName is set only when this pod preempts other pods "
           "on the node, but it cannot be scheduled right away as preemption "
           "victims receive their graceful termination periods.",
           1),
    column("Readiness Gates", "string", "",
           "If specified, all readiness gates will be evaluated for pod "
           "readiness. A pod is ready when all its containers are ready AND "
           "all conditions specified in the readiness gates have status equal "
           "to \"True\" More info: "
           "https://git.k8s.io/enhancements/keps/sig-network/"
           "580-pod-readiness-gates",
           1),
  };
}

json::array pod_cells(const json::value& pod) {
  const auto* spec = pod.find("spec");
  const auto* status = pod.find("status");
  size_t total = 0;
  if (const auto* cs = spec ? spec->find("containers") : nullptr;
      cs && cs->is_array())
    total = cs->size();
  std::string reason = str_at(pod, {"status", "phase"});
  if (auto r = str_at(pod, {"status", "reason"}); !r.empty())
    reason = r;
  int64_t restarts = 0;
  std::optional<wall_time> last_restart;
  size_t ready = 0;
  bool running = false;
  // Init containers first.
  bool initializing = false;
  if (const auto* inits = status ? status->find("initContainerStatuses") : nullptr;
      inits && inits->is_array()) {
    size_t n = inits->size();
    size_t i = 0;
    for (const auto& c : inits->as_array()) {
      restarts += c.get_int("restartCount");
      const auto* term = c.find_path({"state", "terminated"});
      const auto* wait = c.find_path({"state", "waiting"});
      if (term && term->get_int("exitCode") == 0) {
        ++i;
        continue;
      }
      initializing = true;
      if (term) {
        reason = term->get_string("reason").empty()
                   ? "Init:ExitCode:" + std::to_string(term->get_int("exitCode"))
                   : "Init:" + term->get_string("reason");
      } else if (wait && !wait->get_string("reason").empty()
                 && wait->get_string("reason") != "PodInitializing") {
        reason = "Init:" + wait->get_string("reason");
      } else {
        reason = "Init:" + std::to_string(i) + "/" + std::to_string(n);
      }
      break;
    }
  }
  if (!initializing) {
    if (const auto* cs = status ? status->find("containerStatuses") : nullptr;
        cs && cs->is_array()) {
      const auto& arr = cs->as_array();
      for (auto it = arr.rbegin(); it != arr.rend(); ++it) {
        const auto& c = *it;
        restarts += c.get_int("restartCount");
        if (const auto* lt = c.find_path({"lastState", "terminated"}))
          if (auto t = parse_time(lt->get_string("finishedAt")))
            if (!last_restart || *t > *last_restart)
              last_restart = t;
        const auto* wait = c.find_path({"state", "waiting"});
        const auto* term = c.find_path({"state", "terminated"});
        const auto* run = c.find_path({"state", "running"});
        if (wait && !wait->get_string("reason").empty()) {
          reason = wait->get_string("reason");
        } else if (term && !term->get_string("reason").empty()) {
          reason = term->get_string("reason");
        } else if (term) {
          reason = term->get_int("signal") != 0
                     ? "Signal:" + std::to_string(term->get_int("signal"))
                     : "ExitCode:" + std::to_string(term->get_int("exitCode"));
        } else if (run && c.get_bool("ready")) {
          running = true;
          ++ready;
        }
      }
    }
    if (reason == "Completed" && running) {
      reason = "NotReady";
      if (const auto* conds = status->find("conditions"); conds && conds->is_array())
        for (const auto& cond : conds->as_array())
          if (cond.get_string("type") == "Ready"
              && cond.get_string("status") == "True")
            reason = "Running";
    }
  }
  if (pod.find_path({"metadata", "deletionTimestamp"}))
    reason = str_at(pod, {"status", "reason"}) == "NodeLost" ? "Unknown"
                                                             : "Terminating";
  json::value restarts_cell{restarts};
  if (last_restart) {
    auto ago = std::chrono::duration_cast<std::chrono::seconds>(
      std::chrono::system_clock::now() - *last_restart);
    restarts_cell = json::value{std::to_string(restarts) + " ("
                                + human_duration(ago) + " ago)"};
  }
  std::string gates;
  if (const auto* rg = spec ? spec->find("readinessGates") : nullptr;
      rg && rg->is_array() && rg->size() > 0) {
    size_t ok = 0;
    for (const auto& g : rg->as_array()) {
      auto type = g.get_string("conditionType");
      if (const auto* conds = status ? status->find("conditions") : nullptr;
          conds && conds->is_array())
        for (const auto& cond : conds->as_array())
          if (cond.get_string("type") == type
              && cond.get_string("status") == "True")
            ++ok;
    }
    gates = std::to_string(ok) + "/" + std::to_string(rg->size());
  }
  return {
    json::value{str_at(pod, {"metadata", "name"})},
    json::value{std::to_string(ready) + "/" + std::to_string(total)},
    json::value{reason},
    std::move(restarts_cell),
    json::value{age_of(pod)},
    json::value{or_none(str_at(pod, {"status", "podIP"}))},
    json::value{or_none(str_at(pod, {"spec", "nodeName"}))},
    json::value{or_none(str_at(pod, {"status", "nominatedNodeName"}))},
    json::value{or_none(gates)},
  };
}

/// Printers with simple columns: name, a few derived values, age.
struct simple_printer {
  std::string_view kind;
  std::vector<std::pair<std::string_view, std::string_view>> columns;
  json::array (*cells)(const json::value&);
};

json::value count_of(const json::value& obj, std::initializer_list<std::string_view> keys) {
  int64_t n = 0;
  for (auto key : keys)
    if (const auto* v = obj.find(key))
      n += static_cast<int64_t>(v->size());
  return json::value{n};
}

const std::vector<simple_printer>& simple_printers() {
  static const std::vector<simple_printer> printers = {
    {"Namespace",
     {{"Status", "string"}},
     [](const json::value& o) {
       return json::array{json::value{str_at(o, {"status", "phase"})}};
     }},
    {"ConfigMap",
     {{"Data", "integer"}},
     [](const json::value& o) {
       return json::array{count_of(o, {"data", "binaryData"})};
     }},
    {"Secret",
     {{"Type", "string"}, {"Data", "integer"}},
     [](const json::value& o) {
       return json::array{json::value{o.get_string("type")}, count_of(o, {"data"})};
     }},
    {"ServiceAccount",
     {{"Secrets", "integer"}},
     [](const json::value& o) { return json::array{count_of(o, {"secrets"})}; }},
    {"Lease",
     {{"Holder", "string"}},
     [](const json::value& o) {
       return json::array{json::value{str_at(o, {"spec", "holderIdentity"})}};
     }},
  };
  return printers;
}

const simple_printer* simple_printer_for(std::string_view kind) {
  for (const auto& p : simple_printers())
    if (p.kind == kind)
      return &p;
  return nullptr;
}

json::array simple_columns(const simple_printer& p) {
  json::array out{column("Name", "string", "name", name_description, 0)};
  for (const auto& [name, type] : p.columns)
    out.push_back(column(name, type, "", name, 0));
  out.push_back(column("Age", "string", "", age_description, 0));
  return out;
}

json::array simple_cells(const simple_printer& p, const json::value& obj) {
  json::array out{json::value{str_at(obj, {"metadata", "name"})}};
  for (auto& cell : p.cells(obj))
    out.push_back(std::move(cell));
  out.push_back(json::value{age_of(obj)});
  return out;
}

json::array default_columns() {
  return {
    column("Name", "string", "name", name_description, 0),
    column("Created At", "date", "", age_description, 0),
  };
}

json::array default_cells(const json::value& obj) {
  return {
    json::value{str_at(obj, {"metadata", "name"})},
    json::value{str_at(obj, {"metadata", "creationTimestamp"})},
  };
}

} // namespace

void api_server::impl::send_table(call& c, const json::value& input) {
  const auto& kind = c.def->kind;
  auto include = std::string{c.req.param("includeObject").value_or("Metadata")};
  json::value table{json::object{}};
  table["kind"] = "Table";
  table["apiVersion"] = "meta.k8s.io/v1";
  json::value meta{json::object{}};
  std::vector<const json::value*> objects;
  json::value single;
  if (const auto* items = input.find("items")) {
    if (const auto* m = input.find("metadata"))
      meta = *m;
    for (const auto& item : items->as_array())
      objects.push_back(&item);
  } else {
    meta["resourceVersion"] = str_at(input, {"metadata", "resourceVersion"});
    objects.push_back(&input);
  }
  table["metadata"] = std::move(meta);
  const auto* simple = simple_printer_for(kind);
  table["columnDefinitions"] = json::value{
    kind == "Node"  ? node_columns()
    : kind == "Pod" ? pod_columns()
    : simple        ? simple_columns(*simple)
                    : default_columns()};
  json::array rows;
  for (const auto* obj : objects) {
    json::value row{json::object{}};
    row["cells"] = json::value{kind == "Node"  ? node_cells(*obj)
                               : kind == "Pod" ? pod_cells(*obj)
                               : simple        ? simple_cells(*simple, *obj)
                                               : default_cells(*obj)};
    if (include == "Object") {
      json::value full = *obj;
      full["kind"] = kind;
      full["apiVersion"] = c.def->api_version();
      row["object"] = std::move(full);
    } else if (include != "None") {
      json::value partial{json::object{}};
      partial["kind"] = "PartialObjectMetadata";
      partial["apiVersion"] = "meta.k8s.io/v1";
      partial["metadata"] = obj->find("metadata") ? *obj->find("metadata")
                                                  : json::value{json::object{}};
      row["object"] = std::move(partial);
    }
    rows.push_back(std::move(row));
  }
  table["rows"] = json::value{std::move(rows)};
  response res;
  res.status = 200;
  res.content_type = "application/json;as=Table;v=v1;g=meta.k8s.io";
  res.body = render(table, c.pretty);
  res.headers.push_back({"Cache-Control", "no-cache, private"});
  c.reply->respond(std::move(res));
}

} // namespace cafelet::apiserver
