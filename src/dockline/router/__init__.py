"""The router: routes, rendering, discovery, apply (config rotation, lock), poll."""
