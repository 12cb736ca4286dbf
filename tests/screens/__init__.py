"""README screenshots from real runs: a terminal captured in tmux and drawn with CJK at its true width."""
