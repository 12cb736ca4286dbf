"""The students' screen at the gate (`rollcall kiosk`): each tap's name, a huge ✓ or ✗ and a few words."""
