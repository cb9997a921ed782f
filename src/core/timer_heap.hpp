// A 4-ary min-heap of pending timeouts, ordered by each event's deadline (kept in
// ev_timeout, see deadline_of in base.hpp). Nodes are bare event pointers so a pending timer costs the heap
// 8 bytes, as in libevent; the 4-ary shape halves the depth of a binary heap, so a sift
// touches few events. An event remembers its slot in ev_timeout_pos.min_heap_idx (-1
// when not in the heap), which makes removal O(log n).
#pragma once

#include "core/runtime.hpp"

namespace vigil {

class TimerHeap {
public:
    static Micros deadline(const event* ev) { return Micros(ev->ev_timeout.tv_sec); }  // see deadline_of

    bool empty() const { return nodes_.empty(); }
    size_t size() const { return nodes_.size(); }
    event* top() const { return nodes_.front(); }
    Micros top_deadline() const { return deadline(nodes_.front()); }
    event* at(size_t i) const { return nodes_[i]; }

    void push(event* ev) {
        nodes_.push_back(ev);
        sift_up(nodes_.size() - 1, deadline(ev));
    }

    // Removal moves the hole down to a leaf along the smallest children, then lets the
    // last node rise from there: the last node is usually among the latest deadlines,
    // so it rarely rises, and each level costs 3 comparisons instead of 4.
    void erase(event* ev) {
        size_t i = size_t(ev->ev_timeout_pos.min_heap_idx);
        ev->ev_timeout_pos.min_heap_idx = -1;
        event* last = nodes_.back();
        nodes_.pop_back();
        const size_t count = nodes_.size();
        if (i == count) return;
        for (;;) {
            size_t child = 4 * i + 1;
            if (child >= count) break;
            size_t best = child;
            Micros best_when = deadline(nodes_[child]);
            size_t end = child + 4 < count ? child + 4 : count;
            for (size_t c = child + 1; c < end; ++c) {
                Micros w = deadline(nodes_[c]);
                if (w < best_when) {
                    best = c;
                    best_when = w;
                }
            }
            place(i, nodes_[best]);
            i = best;
        }
        nodes_[i] = last;
        sift_up(i, deadline(last));
    }

private:
    void place(size_t i, event* ev) {
        nodes_[i] = ev;
        ev->ev_timeout_pos.min_heap_idx = int(i);
    }
    void sift_up(size_t i, Micros when) {
        event* ev = nodes_[i];
        while (i > 0) {
            size_t parent = (i - 1) / 4;
            if (!(when < deadline(nodes_[parent]))) break;
            place(i, nodes_[parent]);
            i = parent;
        }
        place(i, ev);
    }
    Vec<event*> nodes_;
};

}  // namespace vigil
