#include "app/twilio_signature_cli.hpp"

#include <fstream>
#include <iterator>
#include <optional>

#include "adapters/twilio/request_validator.hpp"

namespace rm::app {

namespace {

constexpr const char* usage =
    "usage: ringmaster verify-twilio-signature --auth-token T --url U --signature S\n"
    "                                          [--param key=value]... [--body-file F]\n";

int usage_error(std::ostream& err, const std::string& message) {
  err << "verify-twilio-signature: " << message << "\n" << usage;
  return 2;
}

}  // namespace

int run_verify_twilio_signature(const std::vector<std::string>& args, std::ostream& out,
                                std::ostream& err) {
  std::optional<std::string> token, url, signature, body_file;
  twilio::params form;
  std::size_t i = 0;
  if (!args.empty() && args[0] == "verify-twilio-signature") i = 1;
  for (; i < args.size(); ++i) {
    const std::string& flag = args[i];
    if (flag == "--help" || flag == "-h") {
      out << usage;
      return 0;
    }
    if (i + 1 >= args.size()) return usage_error(err, "missing value after " + flag);
    const std::string& value = args[++i];
    if (flag == "--auth-token") {
      token = value;
    } else if (flag == "--url") {
      url = value;
    } else if (flag == "--signature") {
      signature = value;
    } else if (flag == "--body-file") {
      body_file = value;
    } else if (flag == "--param") {
      const auto eq = value.find('=');
      if (eq == std::string::npos || eq == 0)
        return usage_error(err, "--param wants key=value, got '" + value + "'");
      form.emplace_back(value.substr(0, eq), value.substr(eq + 1));
    } else {
      return usage_error(err, "unknown option " + flag);
    }
  }
  if (!token || token->empty()) return usage_error(err, "--auth-token is required");
  if (!url || url->empty()) return usage_error(err, "--url is required");
  if (!signature) return usage_error(err, "--signature is required");
  if (body_file && !form.empty())
    return usage_error(err, "--param and --body-file exclude each other (form vs JSON body)");

  std::optional<std::string> body;
  if (body_file) {
    std::ifstream in(*body_file, std::ios::binary);
    if (!in) return usage_error(err, "cannot read --body-file " + *body_file);
    body.emplace(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }

  const auto v = twilio::validate_request(*token, *url, form, *signature,
                                          body ? &*body : nullptr);
  if (v.valid) {
    out << "valid: matched " << v.matched_url << "\n";
    return 0;
  }
  out << "invalid: signed string was: " << v.signed_string << "\n";
  out << "reason: " << v.reason << "\n";
  if (body) out << "body sha256: " << twilio::sha256_hex(*body) << "\n";
  // The JSON variant signs the URL alone, as validate_request does.
  const twilio::params signed_form = body ? twilio::params{} : form;
  for (const auto& variant : twilio::url_variants(*url))
    out << "expected " << twilio::compute_signature(*token, variant, signed_form) << " for "
        << variant << "\n";
  return 1;
}

}  // namespace rm::app
