"""When a list is due, what its edition holds, rendering it once, and the use cases faces call."""
