// TwiML answers for the Twilio webhooks and the SMS opt-out keywords. Pure text functions (no
// HTTP, no database). Source: ../shared/contracts/twilio.md §2 ("What a voice webhook must
// return": root <Response>, <Reject> as the first verb, <Dial><Sip>, <Say>) and Twilio's
// standard opt-out keywords (https://help.twilio.com/articles/223134027).
//
// Every document starts with the XML prolog and is served as `text/xml`. Every value put into a
// document goes through xml_escape, in text and in attributes alike.
#pragma once

#include <string>

namespace rm::twilio {

// & < > " ' → entities; control characters other than tab, CR, LF (invalid in XML 1.0) dropped.
std::string xml_escape(const std::string& text);

// <Response><Reject/></Response>: refuses the call before it is answered (not billed).
std::string twiml_reject();
// <Response><Dial><Sip>uri</Sip></Dial></Response>: connects the caller to the agent.
std::string twiml_dial_sip(const std::string& sip_uri);
// <Response><Dial>e164</Dial></Response>: forwards the caller to the front desk.
std::string twiml_dial_number(const std::string& e164);
// <Response><Say>sentence</Say><Hangup/></Response>: never leave a caller in silence.
std::string twiml_say_hangup(const std::string& sentence);
// <Response/>: the empty answer for SMS and status callbacks.
std::string twiml_empty();

// What an inbound SMS body asks for: the whole body, trimmed, case-insensitive, must be one of
// STOP STOPALL UNSUBSCRIBE CANCEL END QUIT (opt_out) or START YES UNSTOP (opt_in).
enum class sms_keyword { none, opt_out, opt_in };
sms_keyword classify_sms_keyword(const std::string& body);

}  // namespace rm::twilio
