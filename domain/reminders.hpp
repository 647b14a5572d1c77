// The texts the dashboard actions send to people (issue 11 §3). Pure (no I/O).
// Appointment reminders: the words a contact receives before an appointment, by SMS or e-mail;
// used by the dashboard's send-reminder action and by the outbox actor's automatic reminders,
// so both say the same thing. Recording shares: the e-mail carrying a signed link.
#pragma once

#include <string>

#include "domain/calendar.hpp"

namespace rm::domain {

// The reminder body, in the clinic's time zone, e.g.
//   "Reminder from Bright Smiles: your appointment is on Wednesday, January 14 at 9:30 AM EST.
//    Reply STOP to opt out."
// `clinic_name`: the tenant's name; trimmed, cut to 40 bytes on a UTF-8 boundary (so the SMS
// stays one segment-sized sentence), "your clinic" when empty. `time_zone`: IANA name (an
// unknown zone falls back to UTC rather than throwing: a reminder must still go out).
// At most 160 bytes for ASCII clinic names.
std::string appointment_reminder_text(const std::string& clinic_name, instant starts_at,
                                      const std::string& time_zone);

// An instant spoken in the clinic's zone: "Wednesday, January 14 at 9:30 AM EST" (an unknown zone
// falls back to UTC). Shared by the texts here and by caller memory (domain/caller_memory.hpp).
std::string spoken_local(instant t, const std::string& time_zone);

// The e-mail subject line: "Appointment reminder: Bright Smiles" (same name rules as above).
std::string appointment_reminder_subject(const std::string& clinic_name);

// The e-mail with a recording share link (POST /api/calls-dashboard/{callId}/share):
//   subject "Call recording shared by Bright Smiles"
//   body    "Bright Smiles shared a call recording with you.\n\nListen: <url>\n\nThe link works
//            until Wednesday, January 14 at 9:30 AM EST. Anyone who has the link can listen, so
//            please do not forward it.\n"
// `expires_at` spoken in the clinic's zone (same name and zone rules as above).
std::string recording_share_subject(const std::string& clinic_name);
std::string recording_share_text(const std::string& clinic_name, const std::string& url,
                                 instant expires_at, const std::string& time_zone);

}  // namespace rm::domain
