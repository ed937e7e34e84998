package catalog

// SealedShards counts the shards of fam that s holds sealed.
func SealedShards(s *State, fam string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, sh := range s.shards[fam] {
		if sh != nil && sh.sealed != nil {
			n++
		}
	}
	return n
}
