// A 4-ary min-heap of pending timeouts. Each node caches its deadline beside the event
// pointer so sifting compares without touching the events; an event remembers its slot
// in ev_timeout_pos.min_heap_idx (-1 when not in the heap) so removal is O(log n).
#pragma once

#include "core/runtime.hpp"

namespace vigil {

class TimerHeap {
public:
    struct Node {
        Micros when;
        event* ev;
    };

    bool empty() const { return nodes_.empty(); }
    size_t size() const { return nodes_.size(); }
    const Node& top() const { return nodes_.front(); }
    const Node& at(size_t i) const { return nodes_[i]; }

    void push(event* ev, Micros when) {
        nodes_.push_back(Node{when, ev});
        sift_up(nodes_.size() - 1);
    }

    void erase(event* ev) {
        size_t i = size_t(ev->ev_timeout_pos.min_heap_idx);
        ev->ev_timeout_pos.min_heap_idx = -1;
        Node last = nodes_.back();
        nodes_.pop_back();
        if (i == nodes_.size()) return;
        nodes_[i] = last;
        if (i > 0 && last.when < nodes_[(i - 1) / 4].when)
            sift_up(i);
        else
            sift_down(i);
    }

    void clear() { nodes_.clear(); }

private:
    void place(size_t i, const Node& n) {
        nodes_[i] = n;
        n.ev->ev_timeout_pos.min_heap_idx = int(i);
    }
    void sift_up(size_t i) {
        Node n = nodes_[i];
        while (i > 0) {
            size_t parent = (i - 1) / 4;
            if (!(n.when < nodes_[parent].when)) break;
            place(i, nodes_[parent]);
            i = parent;
        }
        place(i, n);
    }
    void sift_down(size_t i) {
        Node n = nodes_[i];
        const size_t count = nodes_.size();
        for (;;) {
            size_t child = 4 * i + 1;
            if (child >= count) break;
            size_t best = child;
            size_t end = child + 4 < count ? child + 4 : count;
            for (size_t c = child + 1; c < end; ++c)
                if (nodes_[c].when < nodes_[best].when) best = c;
            if (!(nodes_[best].when < n.when)) break;
            place(i, nodes_[best]);
            i = best;
        }
        place(i, n);
    }

    Vec<Node> nodes_;
};

}  // namespace vigil
