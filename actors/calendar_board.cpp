#include "actors/calendar_board.hpp"

#include <mutex>

#include "actors/booking.hpp"
#include "domain/google_calendar.hpp"

namespace rm::actors {

std::vector<domain::busy_interval> busy_at(const calendar_snapshot& snap,
                                           domain::busy_interval within, domain::instant now) {
  std::vector<domain::busy_interval> out;
  for (const auto& e : snap.entries) {
    if (within.end <= e.start) break;  // sorted by start: nothing later overlaps
    if (e.end <= within.start) continue;
    if (e.hold_expires_at && *e.hold_expires_at <= now) continue;
    out.push_back({e.start, e.end});
  }
  return domain::google::join_busy(out, snap.google_busy);
}

std::optional<tenant_tool_reply> check_from(const calendar_snapshot& snap,
                                            const tool_request& request, domain::instant now) {
  tenant_tool_reply error;
  auto date = booking::availability_date(request, &error);
  if (!date) return error;  // a malformed date needs no calendar
  auto window = booking::date_window(snap.record, *date, now);  // arguments parsed once
  if (window.start < snap.window.start || snap.window.end < window.end) return std::nullopt;
  auto reply = booking::availability(snap.record, *date, busy_at(snap, window, now), now);
  reply.store_behind = true;
  return reply;
}

std::shared_ptr<const calendar_snapshot> calendar_board::find(const std::string& org_id) const {
  std::shared_lock<std::shared_mutex> g{m_};
  auto i = by_org_.find(org_id);
  return i == by_org_.end() ? nullptr : i->second;
}

void calendar_board::publish(const std::string& org_id,
                             std::shared_ptr<const calendar_snapshot> snap) {
  std::shared_ptr<const calendar_snapshot> old;  // released outside the lock
  std::unique_lock<std::shared_mutex> g{m_};
  auto& slot = by_org_[org_id];
  old = std::move(slot);
  slot = std::move(snap);
}

void calendar_board::withdraw(const std::string& org_id, std::uint64_t owner) {
  std::shared_ptr<const calendar_snapshot> old;
  std::unique_lock<std::shared_mutex> g{m_};
  auto i = by_org_.find(org_id);
  if (i == by_org_.end() || !i->second || i->second->owner != owner) return;
  old = std::move(i->second);
  by_org_.erase(i);
}

std::uint64_t calendar_board::next_owner() {
  std::unique_lock<std::shared_mutex> g{m_};
  return ++owners_;
}

std::size_t calendar_board::size() const {
  std::shared_lock<std::shared_mutex> g{m_};
  return by_org_.size();
}

}  // namespace rm::actors
