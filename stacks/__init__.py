"""Stack composition: the only code that knows environments. `stacks.program.main` is the Pulumi program."""
