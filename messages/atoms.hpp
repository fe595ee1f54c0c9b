#pragma once
/// @file
/// Atoms: pure verbs without payload. CAF 0.17 atoms hold at most 10 chars.
/// Predefined CAF atoms (get_atom, put_atom, ok_atom, ...) are used as is.

#include <caf/atom.hpp>

namespace cafelet {

/// Supervisor: (re)start a child whose backoff expired.
using restart_atom = caf::atom_constant<caf::atom("restart")>;
/// Periodic timer tick.
using tick_atom = caf::atom_constant<caf::atom("tick")>;
/// Ask an actor to stop what it does and quit normally.
using stop_atom = caf::atom_constant<caf::atom("stop")>;
/// Ask a supervisor for a snapshot of its children.
using children_atom = caf::atom_constant<caf::atom("children")>;
/// Fault injection: make the receiving actor fail (tests, chaos lab).
using crash_atom = caf::atom_constant<caf::atom("crash")>;
/// Health query.
using health_atom = caf::atom_constant<caf::atom("health")>;

} // namespace cafelet
