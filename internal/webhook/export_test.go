package webhook

import "context"

// RunOnce makes one whole dispatch round and returns how many attempts it
// made; see runOnce.
func (d *Dispatcher) RunOnce(ctx context.Context) (attempts int, err error) { return d.runOnce(ctx) }

// Prune deletes what is past the retention and returns how many
// deliveries it deleted.
func (d *Dispatcher) Prune(ctx context.Context) (int, error) { return d.prune(ctx) }
