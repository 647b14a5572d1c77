// The Google Calendar link seen from the HTTP routes (no CAF in this header; implemented in
// actors/google_port.cpp). The requests run on the calling (HTTP worker) thread, each admitted by
// the provider gate under the tenant's `google` breaker with its outcome reported, like every
// provider request. Errors: provider_unavailable (actors/service.hpp) when the breaker is open;
// service_error when the gate did not answer.
#pragma once

#include <chrono>
#include <string>

#include "adapters/google/google_client.hpp"

namespace rm::actors {

class service;

// The deployment's Google endpoint (service_options::google_endpoint).
const google::endpoint& google_endpoint_of(service& svc);
// The consent's code → tokens (authorization_code grant).
google::token_result google_exchange_code(service& svc, const std::string& org_id,
                                          const std::string& code,
                                          const std::string& redirect_uri);
// Revokes a refresh token at Google (ok also when Google says it is already invalid).
google::event_result google_revoke(service& svc, const std::string& org_id,
                                   const std::string& token);
// The link of `org_id` was stored or deleted: the google actor forgets its token and passes now
// (returns at once).
void google_link_changed(service& svc, const std::string& org_id);
// One pass of the google actor now (tests, scripts): (clinics read, rows done).
std::pair<int, int> google_poll(service& svc, std::chrono::milliseconds timeout);

}  // namespace rm::actors
