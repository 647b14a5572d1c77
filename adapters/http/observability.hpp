// Internal to the HTTP adapter: per-request metrics and log context (issue 14). The server calls
// begin_request from its pre-routing handler, every registered route calls route_matched with
// its documented template, and the server's logger (which httplib calls once per answered request,
// on the request's thread, after the status is final) calls end_request.
#pragma once

#include <string>

#include <httplib.h>

namespace rm::http {

// Starts the request's clock and this thread's log context (component "http", the request id).
void begin_request(const std::string& request_id);
// The route that took the request: its template as registered ("/api/calls/{call_id}").
void route_matched(const std::string& route_template);
// Counts the request (ringmaster_http_requests_total and the latency histogram; a 413 is also an
// input rejection of reason "size"), then clears the thread's request state and log context.
void end_request(const httplib::Request& req, const httplib::Response& res);

}  // namespace rm::http
