module dsguard.test/abuse

go 1.19
