#include "actors/errors.hpp"

#include <caf/actor_system_config.hpp>
#include <caf/message.hpp>

namespace rm::actors {

namespace {

// The sentence is the first element: (sentence) or (sentence, retry_after_ms).
std::string context_text(const caf::message& ctx) {
  if (ctx.match_elements<std::string>() || ctx.match_elements<std::string, std::int64_t>())
    return ctx.get_as<std::string>(0);
  return ctx.empty() ? std::string{} : caf::to_string(ctx);
}

}  // namespace

void register_errors(caf::actor_system_config& cfg) {
  cfg.add_error_category(ec_category, [](std::uint8_t code, caf::atom_value,
                                         const caf::message& ctx) -> std::string {
    auto kind = ec_from_code(code);
    std::string out = "rm::";
    out += kind ? std::string{to_string(*kind)} : "code " + std::to_string(code);
    auto text = context_text(ctx);
    if (!text.empty()) out += ": " + text;
    return out;
  });
}

std::optional<ec> ec_of(const caf::error& err) {
  if (!err) return std::nullopt;
  if (err.category() == ec_category) return ec_from_code(err.code()).value_or(ec::internal);
  if (err == caf::sec::request_timeout) return ec::timeout;
  return ec::unavailable;
}

std::string message_of(const caf::error& err) {
  if (!err) return {};
  if (err.category() == ec_category) return context_text(err.context());
  if (err.category() == caf::atom("system"))
    return caf::to_string(static_cast<caf::sec>(err.code())) +
           (err.context().empty() ? std::string{} : ": " + caf::to_string(err.context()));
  return caf::to_string(err);
}

std::optional<std::int64_t> retry_after_ms_of(const caf::error& err) {
  if (!err || err.category() != ec_category) return std::nullopt;
  const auto& ctx = err.context();
  if (!ctx.match_elements<std::string, std::int64_t>()) return std::nullopt;
  return ctx.get_as<std::int64_t>(1);
}

std::string describe(const caf::error& err) {
  auto kind = ec_of(err);
  if (!kind) return {};
  auto text = message_of(err);
  return std::string{to_string(*kind)} + (text.empty() ? "" : ": " + text);
}

}  // namespace rm::actors
