from carekey.cli import main

raise SystemExit(main())
