// Releases the tokens of write-behind records in commit order (the tool log, actors/adapters.cpp).
// A record's rows may be split over two batches (a batch takes at most tool_log_batch rows), and
// its token travels with the batch that takes its last rows. Two batches are in flight at once
// (tool_log_in_flight) and may commit in either order, so a committed batch's tokens are held
// back while any batch started before it is still in flight: releasing a token tells the call
// actor its row is stored (read_records::pending), which must not happen before every row of the
// record is. No CAF here.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <vector>

namespace rm::actors {

class batch_order {
 public:
  using token = std::shared_ptr<void>;

  // A batch goes to the database: its sequence number.
  std::uint64_t begin();
  // Batch `seq` committed with `tokens`: releases every token no earlier batch in flight holds
  // back any more (this batch's, and those of later batches that waited for it).
  void committed(std::uint64_t seq, std::vector<token> tokens);
  // Batch `seq` failed and its rows will be written again: returns the tokens of later batches
  // that committed meanwhile, which now wait for the retry (the caller keeps them with its own).
  std::vector<token> failed(std::uint64_t seq);
  // Tokens held back now (tests).
  std::size_t held() const;

 private:
  std::uint64_t next_ = 0;
  std::set<std::uint64_t> in_flight_;
  std::map<std::uint64_t, std::vector<token>> committed_;
};

}  // namespace rm::actors
