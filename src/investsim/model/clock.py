"""The order of events at the same instant, stated once and enforced by SimPy's queue.

SimPy processes events in order of (time, priority, insertion); timeouts and callbacks
have priority ``NORMAL``. The model's own moments come first at their instant, in this
order, whatever was scheduled when:

1. ``YEAR_START``: on 1 January the money desks close last year's accounts and refill
   this year's supply (unused money is lost);
2. ``POLICY``: policies dated that instant put their configuration in force (new
   capacities hand out places at once);
3. ``SERVE``: the money desks serve the claims waiting, with that year's money and under
   the rules now in force;
4. ``REGISTER``: on 1 January of ``start_year``, the register's projects take the place
   of the warm-up projects they stand for;
5. everything else (``NORMAL``): arrivals (the register's projects included), stage ends,
   give-ups, in the order they were scheduled.

So a project arriving or a claim made on 1 January always sees that year's money and the
policies of that day, with or without warm-up years before it.
"""

from __future__ import annotations

from typing import Any

import simpy
from simpy.events import NORMAL, EventPriority

YEAR_START = EventPriority(NORMAL - 5)
POLICY = EventPriority(NORMAL - 4)
SERVE = EventPriority(NORMAL - 3)
REGISTER = EventPriority(NORMAL - 2)


class At(simpy.Event):
    """An event ``delay`` years from now at ``priority`` (one of the constants above):
    SimPy's timeout, with the priority stated."""

    def __init__(
        self, env: simpy.Environment, delay: float, priority: EventPriority, value: Any = None
    ) -> None:
        super().__init__(env)
        self._ok = True
        self._value = value
        env.schedule(self, priority, delay)
