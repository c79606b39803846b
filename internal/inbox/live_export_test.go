package inbox

import "time"

// SetLiveHeartbeat sets how often an idle live stream sends a comment, for
// a test that runs alone, and returns a function that restores it.
func SetLiveHeartbeat(d time.Duration) (restore func()) {
	old := liveHeartbeat
	liveHeartbeat = d
	return func() { liveHeartbeat = old }
}
