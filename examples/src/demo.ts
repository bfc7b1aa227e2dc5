// Placeholder until the demo lands: prints what `pnpm demo` will do.
console.log("keyslot demo: not yet — it will start an embedded 3+3 cluster, run a workload and kill a master")
