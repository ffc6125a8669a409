from antirelou.cli import main

raise SystemExit(main())
