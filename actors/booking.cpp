#include "actors/booking.hpp"

#include <pqxx/pqxx>

#include "actors/call_store.hpp"
#include "domain/calendar.hpp"
#include "persistence/repositories.hpp"

namespace rm::booking {

namespace {

using nlohmann::json;
using actors::tenant_tool_reply;
namespace d = rm::domain;
namespace p = rm::persistence;

constexpr auto day = std::chrono::hours(24);

tenant_tool_reply fail(std::string text) { return {{std::move(text), true}, "", ""}; }
tenant_tool_reply succeed(const json& j) { return {{j.dump(), false}, "", ""}; }

// The request's arguments object ({} when they are not one): the webhook's parse when it came
// with the request (not copied), else a parse of arguments_json into `storage`.
const json& arguments_of(const actors::tool_request& request, json& storage) {
  static const json none = json::object();
  const json* args = request.arguments.get();
  if (!args) {
    storage = json::parse(request.arguments_json, nullptr, false);
    args = &storage;
  }
  return args->is_object() ? *args : none;
}

json arguments(const context& ctx) {
  json storage;
  return arguments_of(ctx.request, storage);
}

// A string argument, "" when absent or not a string.
std::string text_arg(const json& args, const char* name) {
  auto it = args.find(name);
  return it != args.end() && it->is_string() ? it->get<std::string>() : std::string{};
}

std::string iso(const context& ctx, d::instant t) {
  return d::format_local(t, ctx.tenant.rules.time_zone);
}

std::vector<d::busy_interval> fresh_busy(pqxx::work& tx, const context& ctx,
                                         d::busy_interval window) {
  auto busy = p::busy_between(tx, ctx.tenant.id, window.start, window.end, ctx.now);
  busy.insert(busy.end(), ctx.calendar_busy.begin(), ctx.calendar_busy.end());
  return busy;
}

std::string alternatives(const context& ctx, d::instant start,
                         const std::vector<d::busy_interval>& busy) {
  auto alts = d::nearest_free(ctx.tenant.rules, start, busy, ctx.now, 3);
  if (alts.empty()) return "no free time nearby";
  std::string s = "nearest free: ";
  for (std::size_t i = 0; i < alts.size(); ++i) s += (i ? ", " : "") + iso(ctx, alts[i]);
  return s;
}

std::string verdict_sentence(d::slot_verdict v) {
  switch (v) {
    case d::slot_verdict::in_the_past: return "that time is in the past";
    case d::slot_verdict::too_soon: return "that time is too soon (minimum notice)";
    case d::slot_verdict::outside_hours: return "that time is outside working hours";
    case d::slot_verdict::off_grid: return "appointments start on the slot grid";
    case d::slot_verdict::taken: return "that time is already taken";
    case d::slot_verdict::ok: break;
  }
  return "that time is available";
}

// Claims the toolCallId, runs `act` and stores its outcome, all in one transaction.
template <class Action>
tenant_tool_reply exactly_once(pqxx::connection& c, const context& ctx, Action act) {
  pqxx::work tx{c};
  p::set_tenant(tx, ctx.tenant.id);
  auto cl = p::claim_tool_call(tx, ctx.call_id, ctx.request.tool_call_id, ctx.tenant.id,
                               ctx.request.name, ctx.request.arguments_json);
  if (!cl.claimed) {
    tx.commit();
    if (cl.stored) return {*cl.stored, "", ""};
    return fail("this tool call is already being processed; try again shortly");
  }
  tenant_tool_reply r = act(tx);
  p::complete_tool_call(tx, ctx.call_id, ctx.request.tool_call_id, r.outcome);
  tx.commit();
  return r;
}

std::optional<d::instant> start_arg(const context& ctx, const json& args, std::string* error) {
  auto text = text_arg(args, "start");
  if (text.empty()) {
    *error = "argument 'start' is required (ISO 8601 date-time, e.g. 2026-01-14T10:00:00-05:00)";
    return std::nullopt;
  }
  auto t = d::parse_instant(text, ctx.tenant.rules.time_zone);
  if (!t) *error = "argument 'start' must be an ISO 8601 date-time, got '" + text + "'";
  return t;
}

using touched_rows = std::vector<p::appointment>;

void note(touched_rows* touched, const p::appointment& a) {
  if (touched) touched->push_back(a);
}

tenant_tool_reply reserve_slot(pqxx::connection& c, const context& ctx, touched_rows* touched) {
  auto args = arguments(ctx);
  std::string error;
  auto start = start_arg(ctx, args, &error);
  if (!start) return fail(error);
  return exactly_once(c, ctx, [&](pqxx::work& tx) {
    const auto& rules = ctx.tenant.rules;
    auto block = d::block_for(rules, *start);
    p::expire_holds(tx, ctx.tenant.id, ctx.now, block);
    auto busy = fresh_busy(tx, ctx, {*start - 8 * day, *start + 8 * day});
    auto verdict = d::check_start(rules, *start, busy, ctx.now);
    if (verdict != d::slot_verdict::ok)
      return fail(verdict_sentence(verdict) + "; " + alternatives(ctx, *start, busy));
    p::appointment a;
    a.org_id = ctx.tenant.id;
    a.call_id = ctx.call_id;
    a.tool_call_id = ctx.request.tool_call_id;
    a.status = p::appointment_status::held;
    a.starts_at = *start;
    a.ends_at = *start + std::chrono::minutes(rules.slot_minutes);
    a.blocked_until = block.end;
    a.hold_expires_at = ctx.now + std::chrono::minutes(rules.hold_minutes);
    auto inserted = p::insert_appointment(tx, a);
    if (!inserted.row)  // another process took it between our read and our insert
      return fail("that time was just taken; " + alternatives(ctx, *start, busy));
    note(touched, *inserted.row);
    auto r = succeed({{"hold_id", inserted.row->id},
                      {"start", iso(ctx, *start)},
                      {"expires_at", iso(ctx, *a.hold_expires_at)}});
    r.hold_id = inserted.row->id;
    return r;
  });
}

// Inserts a booked appointment at `start` if the rules and the calendar allow it.
tenant_tool_reply book_free_start(pqxx::work& tx, const context& ctx, d::instant start,
                                  const std::string& contact_id, touched_rows* touched) {
  const auto& rules = ctx.tenant.rules;
  auto block = d::block_for(rules, start);
  p::expire_holds(tx, ctx.tenant.id, ctx.now, block);
  auto busy = fresh_busy(tx, ctx, {start - 8 * day, start + 8 * day});
  auto verdict = d::check_start(rules, start, busy, ctx.now);
  if (verdict != d::slot_verdict::ok)
    return fail(verdict_sentence(verdict) + "; " + alternatives(ctx, start, busy));
  p::appointment a;
  a.org_id = ctx.tenant.id;
  a.call_id = ctx.call_id;
  a.tool_call_id = ctx.request.tool_call_id;
  a.contact_id = contact_id;
  a.status = p::appointment_status::booked;
  a.starts_at = start;
  a.ends_at = start + std::chrono::minutes(rules.slot_minutes);
  a.blocked_until = block.end;
  auto inserted = p::insert_appointment(tx, a);
  if (!inserted.row) return fail("that time was just taken; " + alternatives(ctx, start, busy));
  note(touched, *inserted.row);
  tenant_tool_reply r;
  r.booked_appointment_id = inserted.row->id;
  return r;
}

tenant_tool_reply book_appointment(pqxx::connection& c, const context& ctx,
                                   touched_rows* touched) {
  auto args = arguments(ctx);
  auto name = text_arg(args, "name");
  auto hold_id = text_arg(args, "hold_id");
  if (name.empty()) return fail("argument 'name' is required (the patient's name)");
  if (name.size() > 200) return fail("argument 'name' is too long (at most 200 characters)");
  if (ctx.caller.empty())
    return fail("the caller's number is unknown, so the booking cannot be linked to a contact");
  std::optional<d::instant> start;
  if (hold_id.empty()) {
    std::string error;
    start = start_arg(ctx, args, &error);
    if (!start) return fail("either argument 'hold_id' or 'start' is required; " + error);
  }
  return exactly_once(c, ctx, [&](pqxx::work& tx) -> tenant_tool_reply {
    auto contact_id = p::upsert_contact(tx, ctx.tenant.id, ctx.caller, name);
    tenant_tool_reply r;
    std::optional<p::appointment> booked;
    if (!hold_id.empty()) {
      auto a = p::find_appointment(tx, ctx.tenant.id, hold_id);
      if (!a) return fail("there is no hold with id '" + hold_id + "'");
      if (a->call_id != ctx.call_id) return fail("that hold belongs to another call");
      if (a->status == p::appointment_status::cancelled) return fail("that hold was cancelled");
      if (a->status == p::appointment_status::booked) {
        booked = a;  // booked earlier by this call under another toolCallId
      } else if (a->status == p::appointment_status::held && a->hold_expires_at &&
                 *a->hold_expires_at > ctx.now) {
        if (!p::book_held(tx, a->id, contact_id)) return fail("that hold is no longer held");
        booked = a;
        booked->status = p::appointment_status::booked;
        booked->hold_expires_at.reset();
        note(touched, *booked);
        r.booked_appointment_id = a->id;
      } else {
        // An expired hold books only if its time is still free.
        r = book_free_start(tx, ctx, a->starts_at, contact_id, touched);
        if (r.outcome.is_error) return r;
        booked = p::find_appointment(tx, ctx.tenant.id, r.booked_appointment_id);
      }
    } else {
      r = book_free_start(tx, ctx, *start, contact_id, touched);
      if (r.outcome.is_error) return r;
      booked = p::find_appointment(tx, ctx.tenant.id, r.booked_appointment_id);
    }
    if (!booked) return fail("the booking could not be read back");
    if (!r.booked_appointment_id.empty()) {
      d::call_event e;
      e.kind = d::call_event_kind::booking;
      e.occurred_at_ms = p::to_epoch(ctx.now) * 1000;
      e.dedup_key = "booking:" + booked->id;
      json payload{{"appointment_id", booked->id}, {"tool_call_id", ctx.request.tool_call_id}};
      if (p::append_call_event(tx, ctx.call_id, ctx.tenant.id, e, payload.dump()))
        calls::refresh_projection(tx, ctx.call_id);  // a report may already be stored
    }
    auto out = succeed({{"appointment_id", booked->id},
                        {"status", "booked"},
                        {"start", iso(ctx, booked->starts_at)},
                        {"end", iso(ctx, booked->ends_at)},
                        {"name", name}});
    out.booked_appointment_id = r.booked_appointment_id;
    return out;
  });
}

}  // namespace

std::optional<d::local_date> availability_date(const actors::tool_request& request,
                                               tenant_tool_reply* error) {
  json storage;
  auto text = text_arg(arguments_of(request, storage), "date");
  if (text.empty()) {
    *error = fail("argument 'date' is required (YYYY-MM-DD)");
    return std::nullopt;
  }
  auto date = d::parse_local_date(text);
  if (!date) *error = fail("argument 'date' must be a date as YYYY-MM-DD, got '" + text + "'");
  return date;
}

tenant_tool_reply availability(const p::tenant_record& tenant, d::local_date date,
                               const std::vector<d::busy_interval>& busy, d::instant now) {
  const auto& tz = tenant.rules.time_zone;
  auto starts = d::free_starts(tenant.rules, date, busy, now);
  // Built in place: an initializer list copies every member (the slots twice) on the path that
  // answers every check_availability.
  json answer = json::object();
  answer["date"] = d::to_string(date);
  answer["time_zone"] = tz;
  json& slots = answer["slots"] = json::array();
  slots.get_ref<json::array_t&>().reserve(starts.size());
  for (auto s : starts) slots.emplace_back(d::format_local(s, tz));
  answer["speech"] = d::speak_free_starts(date, starts, tz);
  return succeed(answer);
}

tenant_tool_reply run_tool(pqxx::connection& c, const context& ctx, touched_rows* touched) {
  const auto& name = ctx.request.name;
  // The rows are reported only once the transaction committed (it throws otherwise).
  touched_rows rows;
  tenant_tool_reply r;
  if (name == "reserve_slot")
    r = reserve_slot(c, ctx, &rows);
  else if (name == "book_appointment")
    r = book_appointment(c, ctx, &rows);
  else
    return fail("unknown tool '" + name + "'");
  if (touched) touched->insert(touched->end(), rows.begin(), rows.end());
  return r;
}

std::optional<tenant_tool_reply> refuse_reserve(const context& ctx,
                                                const std::vector<d::busy_interval>& busy) {
  auto args = arguments(ctx);
  std::string error;
  auto start = start_arg(ctx, args, &error);
  if (!start) return std::nullopt;  // the transaction path answers it the same way, storing nothing
  auto verdict = d::check_start(ctx.tenant.rules, *start, busy, ctx.now);
  if (verdict == d::slot_verdict::ok) return std::nullopt;
  auto r = fail(verdict_sentence(verdict) + "; " + alternatives(ctx, *start, busy));
  r.store_behind = true;
  return r;
}

std::int64_t expire_due_holds(pqxx::connection& c, const std::string& org_id, d::instant now) {
  pqxx::work tx{c};
  p::set_tenant(tx, org_id);
  p::expire_holds(tx, org_id, now);
  auto next = p::next_hold_expiry(tx, org_id);
  tx.commit();
  return next ? p::to_epoch(*next) : 0;
}

d::busy_interval date_window(const p::tenant_record& tenant, d::local_date date, d::instant now) {
  // Local midnight may not exist in a few zones; the grid never needs more than ±1 day.
  if (auto noon = d::parse_instant(d::to_string(date) + "T12:00", tenant.rules.time_zone))
    return {*noon - 36 * std::chrono::hours(1), *noon + 36 * std::chrono::hours(1)};
  return {now, now + day};
}

d::busy_interval busy_window(const p::tenant_record& tenant, const actors::tool_request& request,
                             d::instant now) {
  json storage;
  const auto& args = arguments_of(request, storage);
  const auto& tz = tenant.rules.time_zone;
  if (request.name == "check_availability") {
    if (auto date = d::parse_local_date(text_arg(args, "date")))
      return date_window(tenant, *date, now);
  }
  if (auto start = d::parse_instant(text_arg(args, "start"), tz))
    return {*start - 8 * day, *start + 8 * day};
  return {now, now + day};
}

}  // namespace rm::booking
