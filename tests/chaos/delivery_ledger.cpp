#include "delivery_ledger.h"

#include <algorithm>
#include <map>

namespace tether::chaos {

DeliveryLedger::DeliveryLedger(size_t peers, size_t channels, uint32_t capacity_per_channel)
    : peers_(peers),
      channels_(channels),
      records_(peers * channels, std::vector<Record>(size_t{capacity_per_channel} + 1)),
      delivery_order_(peers * channels),
      by_id_(peers),
      sent_by_(peers, 0),
      resolved_by_(peers, 0),
      delivered_from_(peers, 0) {}

void DeliveryLedger::on_sent(size_t sender, size_t channel, uint32_t seq, uint64_t message_id, uint64_t step) {
  Record& record = records_[index(sender, channel)].at(seq);
  record.message_id = message_id;
  record.sent_step = step;
  by_id_[sender][message_id] = Key{static_cast<uint32_t>(channel), seq};
  ++sent_by_[sender];
  ++sent_;
}

void DeliveryLedger::on_resolved(size_t sender, uint64_t message_id, bool acked, uint32_t connection,
                                 uint64_t step) {
  const auto found = by_id_[sender].find(message_id);
  if (found == by_id_[sender].end()) {
    ++unknown_resolutions_;
    return;
  }
  Record& record = records_[index(sender, found->second.channel)][found->second.seq];
  if (++record.resolutions > 1) {
    ++extra_resolutions_;
    return;
  }
  record.acked = acked;
  record.connection = connection;
  record.resolved_step = step;
  ++resolved_by_[sender];
  ++resolved_;
}

void DeliveryLedger::on_delivered(size_t sender, size_t channel, uint32_t seq, uint64_t /*step*/) {
  if (sender >= peers_ || channel >= channels_ || seq == 0 || seq >= records_[index(sender, channel)].size() ||
      records_[index(sender, channel)][seq].sent_step == 0) {
    ++unknown_deliveries_;
    return;
  }
  Record& record = records_[index(sender, channel)][seq];
  if (record.deliveries++ > 0) return;
  delivery_order_[index(sender, channel)].push_back(seq);
  ++delivered_from_[sender];
  ++delivered_;
}

LedgerSummary DeliveryLedger::summarize() const {
  LedgerSummary s;
  s.sent = sent_;
  s.resolved = resolved_;
  s.extra_resolutions = extra_resolutions_;
  s.unknown_resolutions = unknown_resolutions_;
  s.unknown_deliveries = unknown_deliveries_;
  s.delivered = delivered_;
  s.lost = sent_ - delivered_;
  for_each_sent([&](size_t, size_t, uint32_t, const Record& record) {
    if (record.resolutions > 0) ++(record.acked ? s.acked : s.failed);
    if (record.deliveries > 1) s.duplicated += record.deliveries - 1;
  });
  for (size_t i = 0; i < records_.size(); ++i) {
    uint32_t highest = 0;
    std::map<uint32_t, uint32_t> highest_on_connection;
    for (const uint32_t seq : delivery_order_[i]) {
      uint32_t& highest_here = highest_on_connection[records_[i][seq].connection];
      if (seq < highest_here) {
        ++s.out_of_order;
      } else if (seq < highest) {
        ++s.failover_reorders;
      }
      highest_here = std::max(highest_here, seq);
      highest = std::max(highest, seq);
    }
  }
  return s;
}

}  // namespace tether::chaos
