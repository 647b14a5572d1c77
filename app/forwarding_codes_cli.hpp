// `ringmaster forwarding-codes`: the forwarding-code generator for support staff on the phone with
// a clinic. Works for any destination, not only a tenant's AI number (the API checks that).
//
//   ringmaster forwarding-codes --carrier C --mode total_ai|safety_net --destination D
//                               [--ring-time S]
//
// Flags also take the `--flag=value` form; each may be given once. C is tmobile, att, verizon,
// sprint (= tmobile) or other_gsm; S is whole seconds (see domain/forwarding_codes.hpp).
//
// Output (one JSON line on `out`, exit status returned):
//   0  {"activation","deactivation","status_check","instructions":[…],"notes":[…],"destination"}
//   1  {"error":{"code","message"}}: the generator's rejection (unknown_carrier,
//      invalid_destination, ring_time_out_of_range, …)
//   2  {"error":{"code":"usage","message"}}: a missing, repeated or unknown flag, a flag without a
//      value, or a ring time that is not a whole number ("twenty", "17.5", "20s"); the usage text
//      also goes to `err`. A whole number outside 5..30 is not a usage error but the generator's
//      ring_time_out_of_range (exit 1), like the API's HTTP 400.
//   --help / -h prints the usage text on `out` and returns 0.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace rm::app {

// `args` are the words after "forwarding-codes".
int run_forwarding_codes(const std::vector<std::string>& args, std::ostream& out,
                         std::ostream& err);

}  // namespace rm::app
