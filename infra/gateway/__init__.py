"""The public entry point: kgateway and the Gateway API CRDs (`kgateway`), the `public` Gateway (`gateway`) and the
pure route builders (`routes`)."""
