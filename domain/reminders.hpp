// Appointment reminder texts (issue 11 §3): the words a contact receives before an appointment,
// by SMS or e-mail. Pure (no I/O); used by the dashboard's send-reminder action and by the
// outbox actor's automatic reminders, so both say the same thing.
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

// The e-mail subject line: "Appointment reminder: Bright Smiles" (same name rules as above).
std::string appointment_reminder_subject(const std::string& clinic_name);

}  // namespace rm::domain
