import AttnBenchCLI

AttnBenchMain.main()
