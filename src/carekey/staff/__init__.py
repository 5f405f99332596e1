"""The staff admin: a Django AdminSite that only fully verified staff sessions may use."""
