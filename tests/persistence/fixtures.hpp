// Small builders shared by the persistence tests.
#pragma once

#include <string>

#include <pqxx/pqxx>

#include "persistence/repositories.hpp"

namespace rm::persistence::test {

// 2030-01-15 (a Tuesday) at hh:mm UTC.
inline domain::instant utc(int hh, int mm) {
  return from_epoch(1894665600 + hh * 3600 + mm * 60);
}

// A tenant with default rules (30-min slots, 15-min buffer) and one number; REQUIREs success.
inline std::string make_tenant(pqxx::work& tx, const std::string& name, const std::string& e164) {
  new_tenant t;
  t.name = name;
  t.rules.time_zone = "UTC";
  t.numbers.push_back({e164, name + " main line", ""});
  auto r = create_tenant(tx, t);
  if (r.error != create_tenant_error::none) throw std::runtime_error("make_tenant: " + e164);
  return r.org_id;
}

inline void make_call(pqxx::work& tx, const std::string& call_id, const std::string& org_id) {
  ensure_call(tx, {call_id, org_id, "inbound", "+14155550123", "+14155550100", ""});
}

// A 30-minute appointment at `start` with the 15-minute buffer; held for 5 minutes from `now`.
inline appointment slot(const std::string& org_id, domain::instant start,
                        appointment_status status = appointment_status::held,
                        domain::instant now = utc(8, 0)) {
  appointment a;
  a.org_id = org_id;
  a.status = status;
  a.starts_at = start;
  a.ends_at = start + std::chrono::minutes(30);
  a.blocked_until = a.ends_at + std::chrono::minutes(15);
  if (status == appointment_status::held) a.hold_expires_at = now + std::chrono::minutes(5);
  return a;
}

}  // namespace rm::persistence::test
