"""Imported only by ``blocking_trigger.BlockingTrigger``, on the event loop: the probe must see it."""
