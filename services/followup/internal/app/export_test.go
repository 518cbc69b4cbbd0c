package app

import "time"

// SetOpenPoll sets how often Open polls for its record (tests).
func SetOpenPoll(s *FollowUps, d time.Duration) { s.openPoll = d }
