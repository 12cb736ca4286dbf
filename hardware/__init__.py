"""Provides card readers: pure frame decoders, reader ports and the simulated reader."""
