#include "adapters/vapi/tool_sync.hpp"

#include <openssl/sha.h>

#include <set>

#include "adapters/vapi/assistant_spec.hpp"

namespace rm::vapi {

using nlohmann::json;

std::string definition_hash(const json& body) {
  const std::string canonical = body.dump();
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(canonical.data()), canonical.size(), digest);
  static const char hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * SHA256_DIGEST_LENGTH);
  for (unsigned char c : digest) {
    out += hex[c >> 4];
    out += hex[c & 0xF];
  }
  return out;
}

std::vector<tool_definition> global_tool_definitions(int sms_per_call) {
  std::vector<tool_definition> out;
  for (const auto& tool : tool_definitions(sms_per_call)) {
    tool_definition d;
    d.name = tool.at("function").at("name").get<std::string>();
    d.body = tool;
    d.hash = definition_hash(tool);
    out.push_back(std::move(d));
  }
  return out;
}

std::optional<registered_tool> memory_tool_store::find(const std::string& tool_name) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = tools_.find(tool_name);
  if (it == tools_.end()) return std::nullopt;
  return it->second;
}

void memory_tool_store::save(const registered_tool& tool) {
  std::lock_guard<std::mutex> lock(mutex_);
  tools_[tool.tool_name] = tool;
}

std::vector<registered_tool> memory_tool_store::all() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<registered_tool> out;
  for (const auto& [name, tool] : tools_) out.push_back(tool);
  return out;
}

const char* to_string(tool_action a) {
  switch (a) {
    case tool_action::unchanged: return "unchanged";
    case tool_action::created: return "created";
    case tool_action::adopted: return "adopted";
    case tool_action::updated: return "updated";
  }
  return "unchanged";
}

std::map<std::string, std::string> registration_result::ids() const {
  std::map<std::string, std::string> out;
  for (const auto& t : tools) out[t.tool_name] = t.vapi_tool_id;
  return out;
}

namespace {

// The function name of a tool object (registered or inline); "" when it has none.
std::string function_name(const json& tool) {
  if (!tool.is_object()) return {};
  auto f = tool.find("function");
  if (f != tool.end() && f->is_object()) {
    auto n = f->find("name");
    if (n != f->end() && n->is_string()) return n->get<std::string>();
  }
  return {};
}

// The part of a tool Vapi returned that a definition describes (Vapi adds id, orgId, dates):
// equal to the definition when nothing changed.
json described_part(const json& vapi_tool, const json& definition) {
  json out = json::object();
  for (auto it = definition.begin(); it != definition.end(); ++it)
    if (vapi_tool.contains(it.key())) out[it.key()] = vapi_tool[it.key()];
  return out;
}

}  // namespace

registration_result ensure_registered(tool_api& vapi, tool_registry_store& store,
                                      const std::vector<tool_definition>& definitions) {
  registration_result result;
  std::optional<json> platform_tools;  // GET /tool, read at most once
  auto fail = [&](const std::string& name, response r) {
    result.failed_tool = name;
    result.failure = std::move(r);
    return result;
  };
  for (const auto& def : definitions) {
    tool_outcome outcome{def.name, {}, tool_action::unchanged};
    auto recorded = store.find(def.name);
    if (recorded && recorded->definition_hash == def.hash) {
      outcome.vapi_tool_id = recorded->vapi_tool_id;
      result.tools.push_back(outcome);
      continue;
    }
    if (recorded) {
      response r = vapi.update_tool(recorded->vapi_tool_id, def.body);
      if (r.ok) {
        store.save({def.name, recorded->vapi_tool_id, def.hash});
        outcome.vapi_tool_id = recorded->vapi_tool_id;
        outcome.action = tool_action::updated;
        result.tools.push_back(outcome);
        continue;
      }
      if (r.http_status != 404) return fail(def.name, std::move(r));
      // Deleted in Vapi's dashboard: register it again below.
    }
    if (!platform_tools) {
      response list = vapi.list_tools();
      if (!list.ok) return fail(def.name, std::move(list));
      platform_tools = list.body.is_array() ? list.body : json::array();
    }
    const json* existing = nullptr;
    for (const auto& t : *platform_tools) {
      if (function_name(t) == def.name && t.contains("id") && t["id"].is_string() &&
          (!recorded || t["id"] != recorded->vapi_tool_id)) {
        existing = &t;
        break;
      }
    }
    if (existing) {
      const std::string id = (*existing)["id"].get<std::string>();
      if (definition_hash(described_part(*existing, def.body)) != def.hash) {
        response r = vapi.update_tool(id, def.body);
        if (!r.ok) return fail(def.name, std::move(r));
      }
      store.save({def.name, id, def.hash});
      outcome.vapi_tool_id = id;
      outcome.action = tool_action::adopted;
      result.tools.push_back(outcome);
      continue;
    }
    response r = vapi.create_tool(def.body);
    if (!r.ok) return fail(def.name, std::move(r));
    if (!r.body.is_object() || !r.body.contains("id") || !r.body["id"].is_string()) {
      r.ok = false;
      r.error = vapi_error{r.http_status, "Vapi created tool " + def.name + " without an id"};
      return fail(def.name, std::move(r));
    }
    outcome.vapi_tool_id = r.body["id"].get<std::string>();
    store.save({def.name, outcome.vapi_tool_id, def.hash});
    outcome.action = tool_action::created;
    result.tools.push_back(outcome);
  }
  result.ok = true;
  return result;
}

json linked_model(const json& assistant, const std::map<std::string, std::string>& tool_ids) {
  const bool has_model =
      assistant.is_object() && assistant.contains("model") && assistant["model"].is_object();
  json model = has_model ? assistant["model"] : json::object();
  const json original = model;

  json ids = model.contains("toolIds") && model["toolIds"].is_array() ? model["toolIds"]
                                                                      : json::array();
  std::set<std::string> present;
  for (const auto& id : ids)
    if (id.is_string()) present.insert(id.get<std::string>());
  for (const auto& [name, id] : tool_ids) {
    if (present.insert(id).second) ids.push_back(id);
  }
  model["toolIds"] = ids;

  if (model.contains("tools") && model["tools"].is_array()) {
    json kept = json::array();
    for (const auto& t : model["tools"])
      if (!tool_ids.count(function_name(t))) kept.push_back(t);
    if (kept.empty()) {
      model.erase("tools");
    } else {
      model["tools"] = kept;
    }
  }
  if (model == original) return nullptr;
  return model;
}

link_result link_tools(tool_api& vapi, const std::string& assistant_id,
                       const std::map<std::string, std::string>& tool_ids) {
  link_result out;
  response current = vapi.get_assistant(assistant_id);
  if (!current.ok) {
    out.failure = std::move(current);
    return out;
  }
  json model = linked_model(current.body, tool_ids);
  if (model.is_null()) {
    out.ok = true;
    return out;
  }
  response r = vapi.update_assistant(assistant_id, json{{"model", model}});
  if (!r.ok) {
    out.failure = std::move(r);
    return out;
  }
  out.ok = true;
  out.changed = true;
  return out;
}

namespace {
std::string failure_reason(const std::string& step, const response& r) {
  std::string out = step + ": ";
  if (r.error.http_status != 0) out += "HTTP " + std::to_string(r.error.http_status) + " ";
  return out + r.error.message;
}
}  // namespace

assistant_sync sync_assistant_tools(tool_api& vapi, tool_registry_store& store,
                                    const std::vector<tool_definition>& definitions,
                                    const std::string& assistant_id) {
  assistant_sync out;
  registration_result reg = ensure_registered(vapi, store, definitions);
  out.tools = reg.tools;
  if (!reg.ok) {
    out.transient = reg.failure.transient();
    out.reason = failure_reason("registering tool " + reg.failed_tool, reg.failure);
    return out;
  }
  link_result link = link_tools(vapi, assistant_id, reg.ids());
  if (!link.ok) {
    out.transient = link.failure.transient();
    out.reason = failure_reason("linking assistant " + assistant_id, link.failure);
    return out;
  }
  out.synced = true;
  out.assistant_changed = link.changed;
  return out;
}

}  // namespace rm::vapi
