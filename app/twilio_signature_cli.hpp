// `ringmaster verify-twilio-signature`: checks an X-Twilio-Signature offline with exactly the
// rules of rm::twilio::validate_request (adapters/twilio/request_validator.hpp), to debug a
// webhook that our server rejects.
//
//   ringmaster verify-twilio-signature --auth-token T --url U --signature S
//                                      [--param key=value]... [--body-file F]
//
// --param: one decoded form field (split at the first '='; repeat for each field, repeats of a
//          key allowed). --body-file: the raw JSON body; the URL must then carry bodySHA256.
// Exit 0, printing "valid: matched <url variant>".
// Exit 1, printing "invalid: signed string was: <string signed for the URL as given>", the
//          reason, and "expected <signature> for <url variant>" for every variant tried.
// Exit 2 on usage errors (message and usage on `err`), or an unreadable body file.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace rm::app {

// `args` are the arguments after the subcommand name (a leading "verify-twilio-signature" is
// skipped too, so argv + 1 works as well).
int run_verify_twilio_signature(const std::vector<std::string>& args, std::ostream& out,
                                std::ostream& err);

}  // namespace rm::app
